from django.urls import path

from supervision import views

app_name = "supervision"

urlpatterns = [
    path("monitoring/warnings/", views.warnings, name="warnings"),
    path("monitoring/sweeps/", views.sweep_health, name="sweep_health"),
]
