"""The portal's URLs with the inbox mounted where the lead will include it ("inbox/")."""

from django.urls import include, path

from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [path("inbox/", include("portal.notifications.urls")), *portal_urlpatterns]
