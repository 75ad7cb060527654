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


def document_integer_ranges(result, generator, request, public):
    """drf-spectacular post-processing hook: every integer path and query parameter documents the
    range ``foodbank.middleware.IntegerRangeMiddleware`` enforces (PostgreSQL's bigint; path ids are
    digits only), so the schema is no looser than the API."""
    from foodbank.ids import MAX_ID, MIN_INT

    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if schema.get("type") != "integer":
                    continue
                schema.setdefault("format", "int64")
                schema.setdefault("maximum", MAX_ID)
                schema.setdefault("minimum", 0 if parameter.get("in") == "path" else MIN_INT)
    return result
