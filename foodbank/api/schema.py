"""Schema helpers shared by the apps' API views."""

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers


def paginated(serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
    """The documented shape of a PageNumberPagination answer listing ``serializer_class`` items,
    for APIViews that paginate by hand (generic list views get this from drf-spectacular)."""
    name = serializer_class.__name__.removesuffix("Serializer").removesuffix("Out")
    return inline_serializer(
        name=f"Paginated{name}List",
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )
