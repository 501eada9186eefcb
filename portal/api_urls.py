"""All API routes, under /api/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from portal.catalogue.api.views import PublishedItemViewSet, StaffItemViewSet
from portal.organisation.api.views import DepartmentViewSet, RegionViewSet

router = DefaultRouter()
router.register("catalogue/items", PublishedItemViewSet, basename="published-item")
router.register("staff/items", StaffItemViewSet, basename="staff-item")
router.register("organisation/regions", RegionViewSet, basename="region")
router.register("organisation/departments", DepartmentViewSet, basename="department")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("", include(router.urls)),
    path("", include("approvals.api.urls")),
]
