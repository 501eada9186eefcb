"""API routes of the application lifecycle (included under /api/)."""

from rest_framework.routers import DefaultRouter

from approvals.api.views import ApplicationViewSet

router = DefaultRouter()
router.register("applications", ApplicationViewSet, basename="application")

urlpatterns = router.urls
