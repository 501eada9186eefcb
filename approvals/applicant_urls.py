"""The applicant's online filing pages (included at the site root)."""

from django.urls import path

from approvals import applicant_views as views

app_name = "apply"

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("apply/<str:code>/", views.start, name="start"),
    path("my/applications/", views.my_applications, name="my_applications"),
    path("my/applications/<int:pk>/", views.detail, name="detail"),
    path("my/applications/<int:pk>/tasks/", views.task_list, name="task_list"),
    path("my/applications/<int:pk>/applicant/", views.applicant_details, name="applicant"),
    path("my/applications/<int:pk>/form/<slug:slug>/", views.question, name="question"),
    path("my/applications/<int:pk>/materials/", views.materials, name="materials"),
    path("my/applications/<int:pk>/materials/<int:position>/", views.material_upload, name="material_upload"),
    path("my/applications/<int:pk>/check/", views.check_answers, name="check"),
    path("my/applications/<int:pk>/submitted/", views.confirmation, name="confirmation"),
    path("my/applications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("my/applications/<int:pk>/resubmit/", views.resubmit, name="resubmit"),
    path("my/applications/<int:pk>/rate/", views.rate, name="rate"),
    path("my/applications/<int:pk>/documents/<int:document_pk>/", views.document, name="document"),
]
