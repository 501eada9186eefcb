from rest_framework import serializers

from portal.catalogue.models import Item, ItemVersion


class PublishedItemListSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.name", read_only=True)
    department_code = serializers.CharField(source="department.code", read_only=True)

    class Meta:
        model = ItemVersion
        fields = [
            "implementation_code", "name", "number", "published_at", "nature", "status", "department",
            "department_code", "handling_class", "service_category", "for_citizens", "for_enterprises",
            "statutory_limit", "promised_limit",
        ]


class PublishedItemDetailSerializer(PublishedItemListSerializer):
    content = serializers.JSONField(read_only=True)

    class Meta(PublishedItemListSerializer.Meta):
        fields = [*PublishedItemListSerializer.Meta.fields, "content"]


class StaffItemSerializer(serializers.ModelSerializer):
    department_code = serializers.CharField(source="department.code", read_only=True)
    basic_code = serializers.CharField(source="basic_item.basic_code", read_only=True)
    published_number = serializers.IntegerField(source="published_version.number", read_only=True, default=None)
    has_unpublished_changes = serializers.BooleanField(read_only=True)

    class Meta:
        model = Item
        fields = [
            "id", "implementation_code", "basic_code", "name", "nature", "department_code", "level", "status",
            "handling_class", "statutory_limit", "promised_limit", "published_number", "has_unpublished_changes",
            "updated_at",
        ]
