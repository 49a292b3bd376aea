"""The product catalogue: CSV imports (the models live in ``wagtail_distmark.models``)."""
