"""Schema helpers shared by the apps' API views."""

from django.core.validators import RegexValidator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import is_list_serializer
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from foodbank.idempotency import HEADER as IDEMPOTENCY_HEADER
from foodbank.ids import MAX_ID


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
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if schema.get("type") == "string" and not {"pattern", "format", "enum"} & schema.keys():
                    schema["pattern"] = NO_NUL_PATTERN
                if schema.get("type") != "integer":
                    continue
                schema.setdefault("format", "int64")
                schema.setdefault("maximum", MAX_ID)
                # Query integers are ids and page numbers: the filters take positive digits only.
                schema.setdefault("minimum", 0 if parameter.get("in") == "path" else 1)
    return result


# A character no request may carry anywhere (foodbank.middleware refuses it: PostgreSQL cannot
# store it in text), written as the schema's pattern for free text.
NO_NUL_PATTERN = r"^[^\u0000]+$"
# What foodbank.idempotency accepts: 1–255 printable characters once surrounding spaces are stripped
# (documented as visible ASCII with no surrounding space, which is what a header carries safely).
IDEMPOTENCY_KEY_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "pattern": r"^[!-~](?:[ -~]*[!-~])?$",
}


class FoodbankAutoSchema(AutoSchema):
    """drf-spectacular's schema, no looser than what the API validates (docs/trust.md, item 5):

    - every POST or PATCH that honours ``Idempotency-Key`` (the mark the completeness test walks) documents
      the header with the rules ``foodbank.idempotency`` applies, so no view declares it by hand;
    - a nested list that may not be empty says ``minItems: 1``;
    - a decimal sent as a string needs a digit (DRF refuses ``""`` and ``"-"``) and has no sign
      when negative values are refused;
    - free text in a request documents that NUL is refused.
    """

    def _get_parameters(self):
        parameters = [p for p in super()._get_parameters() if p.get("name") != IDEMPOTENCY_HEADER]
        handler = getattr(self.view, (self.method or "").lower(), None)
        if getattr(handler, "honours_idempotency_key", False):
            parameters.append(
                {
                    "in": "header",
                    "name": IDEMPOTENCY_HEADER,
                    "schema": dict(IDEMPOTENCY_KEY_SCHEMA),
                    "description": "Safe retries: the same key and body answer the first result "
                    "(docs/spec.md §4).",
                }
            )
        return parameters

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if not isinstance(schema, dict) or direction != "request":
            return schema
        if is_list_serializer(field):
            if not field.allow_empty:
                schema["minItems"] = max(schema.get("minItems", 0), 1)
            if getattr(field, "min_length", None) is not None:
                schema["minItems"] = max(schema.get("minItems", 0), field.min_length)
            if getattr(field, "max_length", None) is not None:
                schema["maxItems"] = field.max_length
        elif isinstance(field, serializers.DecimalField) and schema.get("format") == "decimal":
            schema["pattern"] = _decimal_pattern(field)
        elif (
            isinstance(field, serializers.CharField)
            and schema.get("type") == "string"
            and not {"pattern", "format", "enum"} & schema.keys()
            # a RegexValidator's pattern is added after this method, and is stricter
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            schema["pattern"] = NO_NUL_PATTERN
        return schema


def _decimal_pattern(field: serializers.DecimalField) -> str:
    signed = field.min_value is None or field.min_value < 0
    sign = "-?" if signed else ""
    whole = field.max_whole_digits
    digits = "0" if whole == 0 else rf"\d{{1,{whole}}}"
    places = rf"(?:\.\d{{1,{field.decimal_places}}})?" if field.decimal_places else ""
    return rf"^{sign}{digits}{places}$"
