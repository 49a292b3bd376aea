"""The contacts feature's own admin URLs (its viewsets register theirs), under
/admin/distmark/contacts/."""

urlpatterns = []
