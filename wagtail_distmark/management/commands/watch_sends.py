"""``manage.py watch_sends``: what Celery beat's ``watch_sends`` task does, once: start the
scheduled sends that are due, take over the fan-out of a send whose worker died, queue new
batch chains for stalled sends. For a site without beat (the demo, in Celery's eager mode,
where a scheduled send starts only when something starts it), or from cron."""

from django.core.management.base import BaseCommand

from wagtail_distmark.sending import tasks


class Command(BaseCommand):
    help = "Start the scheduled sends that are due and resume stalled ones (beat's watch_sends)."

    def handle(self, *args, **options):
        touched = tasks.watch_sends()
        self.stdout.write(f"{touched} send(s) started or resumed.")
