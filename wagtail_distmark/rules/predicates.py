"""The predicates under their former address, for sites that override a rule.

The override recipe in ``docs/rules.md`` imported ``wagtail_distmark.rules.predicates``
before the predicates moved to one module per feature (``rules/org.py``,
``rules/library.py``, ``rules/catalogue.py``, ``rules/campaigns.py``,
``rules/workflows.py``). This module keeps that import working by looking each name up in
those modules; new code imports the feature module. Nothing in the package imports it.
"""

from wagtail_distmark.rules import campaigns, catalogue, library, org, workflows

FEATURE_MODULES = (org, library, catalogue, campaigns, workflows)


def __getattr__(name: str):
    for module in FEATURE_MODULES:
        if name in vars(module):
            return vars(module)[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({name for module in FEATURE_MODULES for name in vars(module)})
