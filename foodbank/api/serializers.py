from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from foodbank.models import Role, Site


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    organisation = serializers.IntegerField()
    organisation_name = serializers.CharField()
    site = serializers.IntegerField(allow_null=True)
    site_name = serializers.CharField(allow_null=True)
    food_bank = serializers.IntegerField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    display_name = serializers.CharField()
    language = serializers.CharField()
    roles = RoleSerializer(many=True)


class SiteSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    postal_code = serializers.SerializerMethodField()

    class Meta:
        model = Site
        fields = [
            "id",
            "code",
            "name",
            "name_kana",
            "kind",
            "organisation",
            "organisation_name",
            "food_bank",
            "postal_code",
            "prefecture",
            "municipality",
            "regional_bureau",
            "address",
            "building",
            "phone",
            "opening_hours",
            "active",
        ]

    @extend_schema_field(serializers.CharField(help_text="Postal code as text, e.g. 060-0001."))
    def get_postal_code(self, site: Site) -> str:
        return site.postal_code_display


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    """A refusal: a stable machine-readable code and a message for people."""

    code = serializers.CharField()
    detail = serializers.CharField()
