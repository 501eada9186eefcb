from django.urls import path

from portal.catalogue import views

app_name = "catalogue"

urlpatterns = [
    path("guide/", views.guide_list, name="guide_list"),
    path("guide/<str:code>/", views.guide_detail, name="guide_detail"),
    path("guide/<str:code>/materials/<int:position>/<str:kind>/", views.material_file, name="material_file"),
    path("workspace/items/", views.StaffItemList.as_view(), name="staff_item_list"),
    path("workspace/items/<int:pk>/", views.StaffItemDetail.as_view(), name="staff_item_detail"),
]
