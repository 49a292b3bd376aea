"""Load the Maison Lumière demo network. Safe to run again: it updates, never duplicates."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from wagtail.models import Page, Site

from home import demo_campaigns, demo_contacts, demo_library, demo_sending, demo_workflow
from home import demo_network as demo
from home.models import HomePage
from wagtail_distmark.models import Membership, OrgUnit


class Command(BaseCommand):
    help = (
        "Create or update the demo network (HQ, 3 regions, 14 stores), its demo users and "
        "5,000 demo contacts; Lyon's newsletter approved, ready to send."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default=None,
            help="Printed admin address (default: the WAGTAILADMIN_BASE_URL setting).",
        )
        parser.add_argument(
            "--contacts",
            type=int,
            default=demo_contacts.TOTAL,
            help="Demo contacts over the stores (default %(default)s; fewer never removes any).",
        )

    @transaction.atomic
    def handle(self, *args, base_url, contacts, **options):
        self.ensure_home_page()
        hq = self.upsert_unit(demo.HQ, parent=None)
        for region in demo.REGIONS:
            region_unit = self.upsert_unit(demo.region_profile(region), parent=hq)
            for profile in demo.store_profiles(region):
                self.upsert_unit(profile, parent=region_unit)
        self.upsert_users()
        library = demo_library.load()
        templates = demo_campaigns.load()
        workflow = demo_workflow.load()
        people = demo_contacts.load(max(contacts, 0))
        to_send = demo_sending.load()
        self.report(base_url or settings.WAGTAILADMIN_BASE_URL)
        self.stdout.write(f"Brand templates: {', '.join(templates)}")
        self.stdout.write(
            f"Workflow: {workflow.name} (“{demo_workflow.IN_REVIEW[0]}” waits for the store "
            "manager's approval)"
        )
        self.stdout.write(
            "Content library: " + ", ".join(f"{count} {label}" for label, count in library.items())
        )
        self.stdout.write(demo_contacts.describe(people))
        self.stdout.write(to_send.describe())

    def upsert_unit(self, profile: dict, parent: OrgUnit | None) -> OrgUnit:
        unit = OrgUnit.objects.filter(code=profile["code"]).first()
        if unit is None:
            unit = OrgUnit(**profile)
            unit.full_clean(exclude=["path", "depth", "numchild"])
            if parent is None:
                return OrgUnit.add_root(instance=unit)
            parent.refresh_from_db()  # treebeard needs the parent's current numchild
            return parent.add_child(instance=unit)
        for field, value in profile.items():
            setattr(unit, field, value)
        unit.save()
        return unit

    def upsert_users(self):
        User = get_user_model()
        for username, first, last, role, code in demo.USERS:
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@maison-lumiere.example",
                    "is_active": True,
                },
            )
            user.set_password(demo.PASSWORD)
            user.save(update_fields=["password"])
            Membership.objects.update_or_create(
                user=user, unit=OrgUnit.objects.get(code=code), defaults={"role": role}
            )

    def ensure_home_page(self):
        if HomePage.objects.exists():
            return
        root = Page.get_first_root_node()
        home = root.add_child(
            instance=HomePage(
                title="Maison Lumière",
                slug="maison-lumiere",
                intro="Candles and home fragrance, made in France, sold by our local stores.",
            )
        )
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
        else:
            site.root_page = home
            site.save()

    def report(self, base_url: str):
        units = OrgUnit.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Demo network ready: {units} units."))
        self.stdout.write(f"Admin: {base_url.rstrip('/')}/admin/")
        self.stdout.write(f"Users (password '{demo.PASSWORD}'):")
        for username, first, last, role, code in demo.USERS:
            unit = OrgUnit.objects.get(code=code)
            self.stdout.write(f"  {username:<9} {role:<17} {unit.name} ({first} {last})")
