"""Top-level URLs."""

from django.contrib import admin
from django.urls import include, path

from portal import views

app_patterns = (
    [
        path("", views.home, name="home"),
        path("workspace/", views.workspace, name="workspace"),
        path("healthz/", views.healthz, name="healthz"),
    ],
    "portal",
)

urlpatterns = [
    path("", include(app_patterns)),
    path("", include("portal.catalogue.urls")),
    path("", include("approvals.urls")),
    path("", include("approvals.applicant_urls")),
    path("", include("supervision.urls")),
    path("supervision/conduct/", include("supervision.conduct.urls")),
    path("supervision/rectification/", include("supervision.rectification.urls")),
    path("", include("supervision.efficiency.public_urls")),
    path("supervision/efficiency/", include("supervision.efficiency.urls")),
    path("uploads/", include("portal.uploads.urls")),
    path("inbox/", include("portal.notifications.urls")),
    path("api/", include("portal.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
]

admin.site.site_header = "江州市政务服务平台管理后台"
admin.site.site_title = "政务服务平台"
admin.site.index_title = "管理"
