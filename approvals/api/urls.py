"""API routes of the application lifecycle (included under /api/)."""

from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = router.urls
