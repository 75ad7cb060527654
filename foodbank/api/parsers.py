"""JSON bodies that cannot exhaust the parser: nesting deeper than MAX_JSON_DEPTH is a 400
``parse_error`` (no request body of this API nests more than a few levels), and so is JSON deep
enough to exhaust Python's recursion limit while it is parsed (it used to be an HTML 500, even on
the anonymous token endpoint)."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32


def _depth(value) -> int:
    """The nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            return depth
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
    return deepest


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The JSON is nested too deeply.")) from None
        if _depth(data) > MAX_JSON_DEPTH:
            raise ParseError(_("The JSON is nested too deeply."))
        return data
