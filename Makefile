# Two commands matter: `make demo` (run the example site) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000
MANAGE := cd example_site && ../$(BIN)/python manage.py

.PHONY: demo test bench-quick test-browser test-wagtail7 test-wagtail-upstream lint migrations-check messages venv docs

venv: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[testing]"
	touch $@

# `make demo HOST=127.0.0.1:8101` serves the demo there, and every link the site writes
# (approval e-mails, Wagtail's notifications, test e-mails) points there too: the example
# settings read WAGTAILADMIN_BASE_URL from the environment.
demo: export WAGTAILADMIN_BASE_URL = http://$(HOST)
demo: venv
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo_network --base-url http://$(HOST)
	$(MANAGE) runserver $(HOST)

test: venv
	$(BIN)/pytest

# Every benchmark in its quick mode (SQLite, small sizes): catches a benchmark broken by a
# model change. Full runs and their figures: bench/README.md.
bench-quick: venv
	$(BIN)/python bench/render.py --quick
	$(BIN)/python bench/scope.py --db sqlite --sizes 100,300 --runs 2 --checks 50
	$(BIN)/python bench/assets.py --db sqlite --sizes 100,300 --runs 2
	$(BIN)/python bench/load.py --quick
	$(BIN)/python bench/contacts.py --quick
	$(BIN)/python bench/send.py --quick

# The documentation site (docs/, mkdocs.yml) into site/; --strict fails on a broken link, a page
# missing from the navigation or a docstring mkdocstrings cannot read. The `docs` extra is
# installed on first use, so `make venv` stays lean.
docs: $(VENV)/.docs-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

$(VENV)/.docs-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	touch $@

test-browser: venv
	$(BIN)/pytest -m browser

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

migrations-check: venv
	$(MANAGE) makemigrations --check --dry-run --noinput wagtail_distmark
	$(MANAGE) makemigrations --check --dry-run --noinput

# The lowest supported Wagtail (7.0 LTS), in a virtualenv of its own.
test-wagtail7:
	$(PYTHON) -m venv .venv-wagtail7
	.venv-wagtail7/bin/python -m pip install --quiet --upgrade pip
	.venv-wagtail7/bin/python -m pip install --quiet -e ".[testing]" "wagtail>=7.0,<7.1"
	.venv-wagtail7/bin/pytest -p no:cacheprovider

# Wagtail's own permission tests, on Wagtail's test project with this plugin installed
# (tests/wagtail_upstream/settings.py says why). SQLite in memory; about 2 minutes.
WAGTAIL_UPSTREAM_TESTS := \
	tests.wagtail_upstream.plugin_loaded \
	wagtail.tests.test_page_permissions \
	wagtail.tests.permission_policies \
	wagtail.images.tests.test_permissions \
	wagtail.documents.tests.test_permissions \
	wagtail.images.tests.test_admin_views \
	wagtail.documents.tests.test_admin_views

test-wagtail-upstream: venv
	PYTHONPATH=. $(BIN)/python -m django test --settings=tests.wagtail_upstream.settings \
		$(WAGTAIL_UPSTREAM_TESTS)

# Update the French, German and Dutch catalogues after changing strings (then fill in the
# new msgstr lines, clear any "fuzzy" flag) and compile them; the .mo files are committed.
# Run from the package directory, after setup: Celery's Django fix-up puts the working
# directory on sys.path, where the package's own `rules` would hide django-rules.
MESSAGE_LOCALES := fr de nl

messages: venv
	PYTHONPATH=.:example_site DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python -c "import django, os; \
		from django.core.management import call_command; django.setup(); \
		os.chdir('wagtail_distmark'); locales = '$(MESSAGE_LOCALES)'.split(); \
		call_command('makemessages', locale=locales, no_obsolete=True); \
		call_command('compilemessages', locale=locales)"
