from django.urls import path

from approvals import staff_views, views

app_name = "approvals"

urlpatterns = [
    path("progress/", views.progress_lookup, name="progress"),
    path("progress/documents/<str:token>/", views.progress_document, name="progress_document"),
    path("publicity/", views.publicity, name="publicity"),
    path("licences/verify/", views.verify_licence_by_number, name="licence_verify"),
    path("licences/v/<str:token>/", views.verify_licence_by_token, name="licence_verify_token"),
    path("workspace/intake/", staff_views.intake, name="intake"),
    path("workspace/intake/<str:code>/", staff_views.intake, name="intake_item"),
    path("workspace/cases/", staff_views.queue, name="queue"),
    path("workspace/cases/<int:pk>/", staff_views.case, name="staff_case"),
    path("workspace/cases/<int:pk>/materials/<int:position>/", staff_views.material_file, name="material_file"),
    path("workspace/cases/<int:pk>/<str:action>/", staff_views.act, name="act"),
    path("workspace/cases/<int:pk>/subcases/<int:subcase_pk>/<str:action>/", staff_views.subcase_act,
         name="subcase_act"),
    path("workspace/delegations/", staff_views.delegations, name="delegations"),
    path("workspace/delegations/<int:pk>/revoke/", staff_views.revoke_delegation, name="revoke_delegation"),
]
