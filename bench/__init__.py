"""Standalone benchmarks of wagtail_distmark (not part of the test suite); see README.md."""
