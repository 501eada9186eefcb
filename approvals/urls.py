from django.urls import path

from approvals import views

app_name = "approvals"

urlpatterns = [
    path("progress/", views.progress_lookup, name="progress"),
    path("licences/verify/", views.verify_licence_by_number, name="licence_verify"),
    path("licences/v/<str:token>/", views.verify_licence_by_token, name="licence_verify_token"),
]
