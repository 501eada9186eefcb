"""Screens of conduct monitoring, under /supervision/conduct/."""

from django.urls import path

from supervision.conduct import views

app_name = "conduct"

urlpatterns = [
    path("", views.key_events, name="key_events"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/<str:code>/", views.rule_detail, name="rule_detail"),
    path("flags/", views.flag_list, name="flag_list"),
    path("flags/<int:pk>/", views.flag_detail, name="flag_detail"),
]
