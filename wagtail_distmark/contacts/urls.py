"""The contacts feature's own admin URLs (its viewsets register theirs), under
/admin/distmark/: each screen module lists its own."""

from wagtail_distmark.contacts import (
    admin,
    audience_admin,
    export_admin,
    import_admin,
    setup_admin,
)

urlpatterns = [
    *admin.urlpatterns,
    *setup_admin.urlpatterns,
    *audience_admin.urlpatterns,
    *import_admin.urlpatterns,
    *export_admin.urlpatterns,
]
