"""The portal's URLs with the uploads app mounted where the lead mounts it, for the view tests."""

from django.urls import include, path

from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = list(portal_urlpatterns)
if not any(getattr(pattern, "namespace", None) == "uploads" for pattern in urlpatterns):
    urlpatterns.append(path("uploads/", include("portal.uploads.urls")))
