"""Each creating POST that used to ignore ``Idempotency-Key`` (assemblies, stock adjustments,
stock-takes, pack recipes, consents, enrolments, feedback): the same key and body twice creates
once and answers the first response again; the same key with another body is 422 and writes
nothing (docs/journeys.md)."""

from dataclasses import dataclass
from typing import Any

import pytest

from inventory.models import Assembly, PackRecipe, StockMovement, StockTake
from referrals.models import ConsentRecord, Enrolment, Feedback
from tests.inventory.helpers import in_days, put_stock
from tests.referrals.factories import file_request

pytestmark = [pytest.mark.django_db, pytest.mark.binding]


@dataclass
class Case:
    url: str
    body: dict
    other_body: dict
    rows: Any  # a queryset whose count must grow by exactly one
    actor: str  # fixture name


def _cases(network, catalogue, filed) -> dict[str, Case]:
    wh = network.warehouse
    put_stock(wh, item=catalogue.noodles, quantity=50, best_before=in_days(40))
    put_stock(wh, item=catalogue.rice, quantity=100, best_before=in_days(100))
    put_stock(wh, item=catalogue.water, quantity=50, best_before=None)
    put_stock(wh, pack_type=catalogue.day3, quantity=10, best_before=in_days(30))
    take = {
        "site": wh.pk,
        "lines": [{"pack_type": "day3", "best_before": in_days(30).isoformat(), "counted": 9}],
    }
    consent = {
        "recipient": filed.recipient_id,
        "delivery_request": filed.pk,
        "purpose": "phone_contact",
        "decision": "given",
        "method": "verbal",
        "witness_name": "相談員 B",
    }
    recipe = {"lines": [{"item": "noodles", "quantity": 2}, {"item": "rice", "quantity": 2}], "note": "v2"}
    return {
        "assembly": Case(
            "/api/v1/assemblies/",
            {"site": wh.pk, "pack_type": "day1", "quantity": 4},
            {"site": wh.pk, "pack_type": "day1", "quantity": 5},
            Assembly.objects.all(),
            "coordinator",
        ),
        "adjustment": Case(
            "/api/v1/stock-adjustments/",
            {"site": wh.pk, "pack_type": "day1", "quantity": 5, "reason": "found"},
            {"site": wh.pk, "pack_type": "day1", "quantity": 6, "reason": "found"},
            StockMovement.objects.filter(kind="adjustment", pack_type__code="day1"),
            "coordinator",
        ),
        "stock_take": Case(
            "/api/v1/stock-takes/",
            take,
            {**take, "note": "二度目"},
            StockTake.objects.all(),
            "volunteer",
        ),
        "recipe": Case(
            f"/api/v1/pack-types/{catalogue.day1.pk}/recipes/",
            recipe,
            {**recipe, "note": "v3"},
            PackRecipe.objects.filter(pack_type=catalogue.day1),
            "coordinator",
        ),
        "consent": Case(
            "/api/v1/consents/",
            consent,
            {**consent, "witness_name": "相談員 C"},
            ConsentRecord.objects.all(),
            "case_worker_a",
        ),
        "enrolment": Case(
            "/api/v1/enrolments/",
            {"delivery_request": filed.pk, "starts_on": "2025-05-20"},
            {"delivery_request": filed.pk, "starts_on": "2025-06-20"},
            Enrolment.objects.all(),
            "case_worker_a",
        ),
        "feedback": Case(
            "/api/v1/feedback/",
            {"message": "本当に助かりました", "may_be_published": True},
            {"message": "ありがとう", "may_be_published": True},
            Feedback.objects.all(),
            "coordinator",
        ),
    }


@pytest.mark.parametrize(
    "name", ["assembly", "adjustment", "stock_take", "recipe", "consent", "enrolment", "feedback"]
)
def test_a_retry_with_the_same_key_creates_once_and_another_body_is_422(
    name, request, api, network, coordinator, volunteer, case_worker_a
):
    # given a creating POST and its body
    filed = file_request(case_worker_a, network.agency_a)
    case = _cases(network, request.getfixturevalue("catalogue"), filed)[name]
    client = api(request.getfixturevalue(case.actor))
    before = case.rows.count()

    # when it is sent twice with the same key (a retry after a lost answer)
    first = client.post(case.url, case.body, format="json", HTTP_IDEMPOTENCY_KEY=f"{name}-1")
    retry = client.post(case.url, case.body, format="json", HTTP_IDEMPOTENCY_KEY=f"{name}-1")

    # then it is created once, and the retry gets the first answer
    assert first.status_code == 201, first.content
    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert case.rows.count() == before + 1

    # when the same key comes with another body
    reused = client.post(case.url, case.other_body, format="json", HTTP_IDEMPOTENCY_KEY=f"{name}-1")

    # then it is refused and nothing is written
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert case.rows.count() == before + 1
