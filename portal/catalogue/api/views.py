import django_filters
from django.db.models import Q
from rest_framework import viewsets
from rest_framework.permissions import AllowAny

from portal.api import ScopedReadOnlyViewSet
from portal.catalogue.api.serializers import (
    PublishedItemDetailSerializer,
    PublishedItemListSerializer,
    StaffItemSerializer,
)
from portal.catalogue.models import Item, ItemVersion


class PublishedItemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label="关键词")
    department = django_filters.CharFilter(field_name="department__code", label="部门编码")
    audience = django_filters.ChoiceFilter(
        choices=[("citizen", "个人"), ("enterprise", "法人")], method="filter_audience", label="服务对象"
    )

    class Meta:
        model = ItemVersion
        fields = ["nature", "service_category", "handling_class", "status"]

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_audience(self, queryset, name, value):
        return queryset.filter(Q(for_citizens=True) if value == "citizen" else Q(for_enterprises=True))


class PublishedItemViewSet(viewsets.ReadOnlyModelViewSet):
    """The published catalogue, as the public guide shows it (no sign-in needed)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    lookup_field = "implementation_code"
    lookup_value_regex = "[^/]+"
    filterset_class = PublishedItemFilter

    def get_queryset(self):
        return ItemVersion.objects.current().select_related("department").order_by("implementation_code")

    def get_serializer_class(self):
        return PublishedItemDetailSerializer if self.action == "retrieve" else PublishedItemListSerializer


class StaffItemViewSet(ScopedReadOnlyViewSet):
    """Working copies of items in the caller's region scope (drafts included)."""

    queryset = Item.objects.select_related("department", "basic_item", "published_version").order_by(
        "implementation_code"
    )
    serializer_class = StaffItemSerializer
    filterset_fields = ["nature", "status", "handling_class"]
