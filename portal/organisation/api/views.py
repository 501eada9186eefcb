from rest_framework import serializers

from portal.api import ScopedReadOnlyViewSet
from portal.organisation.models import Department, Region


class RegionSerializer(serializers.ModelSerializer):
    parent_code = serializers.CharField(source="parent.code", read_only=True, default=None)

    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "parent_code", "path"]


class DepartmentSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "short_name", "kind", "region_code", "is_active"]


class RegionViewSet(ScopedReadOnlyViewSet):
    queryset = Region.objects.select_related("parent")
    serializer_class = RegionSerializer
    filterset_fields = ["level"]


class DepartmentViewSet(ScopedReadOnlyViewSet):
    queryset = Department.objects.select_related("region")
    serializer_class = DepartmentSerializer
    filterset_fields = ["kind"]
