"""The public monthly ranking (included at the site root, beside the other public pages)."""

from django.urls import path

from supervision.efficiency import views

app_name = "efficiency_public"

urlpatterns = [
    path("rankings/", views.public_rankings, name="rankings"),
]
