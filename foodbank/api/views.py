from django.contrib.auth import authenticate
from django.utils import translation
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank import selectors, tokens
from foodbank.security import lockout_response

from .serializers import (
    ErrorSerializer,
    MeSerializer,
    SiteSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)


class ObtainTokenView(APIView):
    """Exchange a username and password for a new API token (``Authorization: Token …``).

    Each call issues a new token, shown only in this answer (the server keeps a hash); it expires
    after API_TOKEN_TTL_DAYS. Repeated failures lock the username out for this client (429
    ``login_locked_out``), and the endpoint is rate-limited per client (429 ``throttled``).
    """

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "auth"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(description="Wrong username or password (DRF's validation shape)."),
            429: OpenApiResponse(ErrorSerializer, description="Locked out or throttled."),
        },
        tags=["auth"],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # django-axes watches authenticate(): it needs Django's request, not DRF's wrapper.
        http_request = request._request
        user = authenticate(
            http_request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(http_request, "axes_locked_out", False):
            return lockout_response(http_request)
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Unable to log in with provided credentials.")]}, code="authorization"
            )
        _token, key = tokens.issue_login_token(user=user)
        return Response(TokenResponseSerializer({"token": key}).data)


class MeView(APIView):
    """The signed-in user and the roles they hold."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer, tags=["auth"])
    def get(self, request):
        user = request.user
        data = {
            "username": user.get_username(),
            "display_name": user.get_full_name() or user.get_username(),
            "language": translation.get_language(),
            "roles": list(selectors.roles_summary(user)),
        }
        return Response(MeSerializer(data).data)


@extend_schema(tags=["network"])
class SiteListView(generics.ListAPIView):
    """Sites the user may see: coordinators all of their food bank's, window staff their own window,
    volunteers the warehouses, case workers the active windows (public information)."""

    serializer_class = SiteSerializer
    filterset_fields = ["kind", "active", "regional_bureau"]

    def get_queryset(self):
        return selectors.visible_sites(self.request.user).order_by("kind", "name", "pk")


@extend_schema(tags=["network"])
class SiteDetailView(generics.RetrieveAPIView):
    serializer_class = SiteSerializer

    def get_queryset(self):
        return selectors.visible_sites(self.request.user)
