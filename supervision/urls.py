from django.urls import path

from supervision import notice_views, views

app_name = "supervision"

urlpatterns = [
    path("monitoring/warnings/", views.warnings, name="warnings"),
    path("monitoring/sweeps/", views.sweep_health, name="sweep_health"),
    # Supervision notices (督办通知书): supervisors and the departments they are addressed to.
    path("supervision-notices/", notice_views.notice_list, name="notices"),
    path("supervision-notices/<int:pk>/", notice_views.notice_detail, name="notice"),
    path("supervision-notices/<int:pk>/issue/", notice_views.issue, name="notice_issue"),
    path("supervision-notices/<int:pk>/document/", notice_views.document, name="notice_document"),
    path("supervision-notices/items/<int:pk>/attachment/", notice_views.attachment, name="notice_attachment"),
    path("supervision-notices/items/<int:pk>/<str:action>/", notice_views.item_action, name="notice_item"),
    path("supervision-notices/faults/<int:pk>/<str:action>/", notice_views.fault_action, name="notice_fault"),
]
