"""Local campaigns built from HQ brand templates: zone enforcement and rendering."""
