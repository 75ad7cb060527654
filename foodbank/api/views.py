from django.utils import translation
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from foodbank import selectors

from .serializers import MeSerializer, SiteSerializer, TokenRequestSerializer, TokenResponseSerializer


class ObtainTokenView(APIView):
    """Exchange a username and password for an API token (``Authorization: Token …``)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer}, tags=["auth"])
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _ = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


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
