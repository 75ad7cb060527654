"""The changes feed of delivery requests (docs/webhooks.md)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from referrals import selectors as request_selectors

from . import changes
from .serializers import ChangePageOut

PAGE_SIZE = 200


class ChangesView(APIView):
    """What changed in the requests you may see since a cursor, oldest first."""

    @extend_schema(
        tags=["delivery requests"],
        operation_id="v1_delivery_requests_changes",
        parameters=[
            OpenApiParameter(
                "since",
                str,
                description="`next_cursor` of the previous answer; omit to start from the beginning.",
            )
        ],
        responses={
            200: ChangePageOut,
            400: OpenApiResponse(description="`invalid_cursor`"),
            403: OpenApiResponse(description="Your role may not see delivery requests"),
        },
    )
    def get(self, request):
        if not request_selectors.may_read_requests(request.user):
            raise PermissionDenied(_("Your role may not see delivery requests."))
        since = changes.Cursor.parse(request.query_params.get("since"))
        page = changes.changes_since(
            requests=request_selectors.visible_requests(request.user), since=since, limit=PAGE_SIZE
        )
        return Response(
            {
                "results": [c.body for c in page.changes],
                "next_cursor": str(page.cursor),
                "has_more": page.has_more,
            }
        )
