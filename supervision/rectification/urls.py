from django.urls import path

from supervision.rectification import views

app_name = "rectification"

urlpatterns = [
    path("", views.department_list, name="department_list"),
    path("supervise/", views.supervision_list, name="supervision_list"),
    path("<int:pk>/", views.case_detail, name="case"),
    path("<int:pk>/entries/<int:entry_pk>/attachment/", views.attachment, name="attachment"),
    path("<int:pk>/<str:action>/", views.act, name="act"),
]
