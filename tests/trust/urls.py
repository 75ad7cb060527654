"""A test-only urlconf: the project's URLs plus a tiny idempotent endpoint that creates a partner
organisation, so the shared idempotency machinery is tested before the apps' endpoints exist."""

import threading

from django.urls import include, path
from rest_framework import serializers
from rest_framework.views import APIView

from foodbank import selectors
from foodbank.idempotency import idempotent_create
from foodbank.models import Organisation, Role

# Set by a test to hold a request inside its create step (while its key is claimed).
HOLD = {"started": threading.Event(), "release": threading.Event(), "active": False}


class PartnerIn(serializers.Serializer):
    code = serializers.SlugField()
    name = serializers.CharField()
    contact_note = serializers.CharField(required=False)


class CreatePartnerView(APIView):
    def post(self, request):
        data = PartnerIn(data=request.data)
        data.is_valid(raise_exception=True)
        (food_bank_id,) = selectors.food_bank_ids(request.user, Role.COORDINATOR)

        def create():
            if HOLD["active"]:
                HOLD["started"].set()
                HOLD["release"].wait(timeout=30)
            return Organisation.objects.create(
                code=data.validated_data["code"],
                name=data.validated_data["name"],
                kind=Organisation.Kind.NPO,
                food_bank_id=food_bank_id,
            )

        return idempotent_create(
            request,
            scope="test-partner",
            create=create,
            render=lambda org: {"id": org.pk, "code": org.code},
            load=lambda pk: Organisation.objects.get(pk=pk),
        )


class BrokenView(APIView):
    """Fails with an error nobody foresaw (the JSON 500 test)."""

    def get(self, request):
        raise ZeroDivisionError("a bug")


urlpatterns = [
    path("test/partners/", CreatePartnerView.as_view()),
    path("api/test/broken/", BrokenView.as_view()),
    path("", include("foodbank.urls")),
]
