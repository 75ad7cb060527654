"""The workflow: every allowed and every disallowed status change, through the services and the
API, and what shipping uses (dispatch selector, bulk scheduling, packing view)."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from foodbank.exceptions import InvalidTransition
from referrals import selectors, services
from referrals.handover import ExtraWanted
from referrals.models import ConsentWithdrawal, DeliveryRequest, DeliveryRequestEvent
from referrals.services import TRANSITIONS

from .factories import ACTIONS, TRACKING_NUMBER, TRACKING_URL, bring_to, file_request

pytestmark = pytest.mark.django_db

S = DeliveryRequest.Status
ALLOWED = sorted((source, target) for source, targets in TRANSITIONS.items() for target in targets)
DISALLOWED = sorted(
    (source, target) for source in TRANSITIONS for target in ACTIONS if target not in TRANSITIONS[source]
)


def test_the_workflow_is_the_one_the_spec_describes():
    assert (
        sorted(
            [
                ("submitted", "approved"),
                ("submitted", "declined"),
                ("submitted", "cancelled"),
                ("approved", "scheduled"),
                ("approved", "cancelled"),
                ("approved", "declined"),
                ("scheduled", "packed"),
                ("scheduled", "cancelled"),
                ("scheduled", "declined"),
                ("packed", "shipped"),
                ("shipped", "delivered"),
                ("shipped", "returned"),
            ]
        )
        == ALLOWED
    )
    assert len(DISALLOWED) == 9 * 8 - 12


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_allowed_change_happens_and_leaves_an_event(submitted, coordinator, source, target):
    # Given a request in the source status
    bring_to(submitted, source, coordinator)
    events_before = DeliveryRequestEvent.objects.count()

    # When it is moved to the target
    ACTIONS[target](submitted.pk, coordinator)

    # Then its status changed and one event records who did it, from what, to what
    submitted.refresh_from_db()
    assert submitted.status == target
    assert DeliveryRequestEvent.objects.count() == events_before + 1
    event = DeliveryRequestEvent.objects.latest("pk")
    assert (event.request_id, event.by, event.from_status, event.to_status) == (
        submitted.pk,
        coordinator,
        source,
        target,
    )


@pytest.mark.parametrize(("source", "target"), DISALLOWED)
def test_disallowed_change_is_refused_and_changes_nothing(submitted, coordinator, source, target):
    bring_to(submitted, source, coordinator)
    before = DeliveryRequest.objects.values().get(pk=submitted.pk)
    events_before = DeliveryRequestEvent.objects.count()

    with pytest.raises(InvalidTransition) as refused:
        ACTIONS[target](submitted.pk, coordinator)

    assert refused.value.extra == {"status": source, "requested": target}
    assert DeliveryRequest.objects.values().get(pk=submitted.pk) == before
    assert DeliveryRequestEvent.objects.count() == events_before


def test_changes_stamp_their_fields(submitted, coordinator):
    bring_to(submitted, "returned", coordinator)

    r = DeliveryRequest.objects.get(pk=submitted.pk)
    assert r.approved_at is not None
    assert r.batch_ref == "B-20250601"
    assert (r.tracking_number, r.tracking_url) == (TRACKING_NUMBER, TRACKING_URL)
    assert r.shipped_at is not None
    assert r.events.latest("pk").note == "不在のため返送"


# --- Through the API ------------------------------------------------------------------------------


def test_coordinator_approves_and_approving_twice_is_409(api, submitted, coordinator):
    first = api(coordinator).post(f"/api/v1/delivery-requests/{submitted.pk}/approve/", {}, format="json")
    again = api(coordinator).post(f"/api/v1/delivery-requests/{submitted.pk}/approve/", {}, format="json")

    assert first.status_code == 200
    assert first.json()["status"] == "approved"
    assert first.json()["approved_at"] is not None
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_transition"
    assert again.json()["status"] == "approved"
    assert submitted.events.count() == 2


def test_declining_needs_a_reason(api, submitted, coordinator):
    url = f"/api/v1/delivery-requests/{submitted.pk}/decline/"

    without = api(coordinator).post(url, {"reason": ""}, format="json")
    declined = api(coordinator).post(url, {"reason": "配送地域外"}, format="json")

    assert without.status_code == 400
    assert list(without.json()) == ["reason"]
    assert declined.status_code == 200
    assert (declined.json()["status"], declined.json()["decline_reason"]) == ("declined", "配送地域外")


@pytest.mark.parametrize("action", ["approve", "decline"])
def test_case_workers_and_volunteers_may_not_triage(api, submitted, case_worker_a, volunteer, action):
    url = f"/api/v1/delivery-requests/{submitted.pk}/{action}/"

    assert api(case_worker_a).post(url, {"reason": "x"}, format="json").status_code == 403
    assert api(volunteer).post(url, {"reason": "x"}, format="json").status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_another_food_bank_s_coordinator_cannot_triage(api, submitted, other_coordinator):
    response = api(other_coordinator).post(
        f"/api/v1/delivery-requests/{submitted.pk}/approve/", {}, format="json"
    )

    assert response.status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_the_filing_agency_cancels_until_packed(api, submitted, coordinator, case_worker_a):
    bring_to(submitted, "scheduled", coordinator)

    response = api(case_worker_a).post(
        f"/api/v1/delivery-requests/{submitted.pk}/cancel/", {"reason": "本人が辞退"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancel_reason"]) == ("cancelled", "本人が辞退")


def test_cancelling_once_packed_is_409(api, submitted, coordinator, case_worker_a):
    bring_to(submitted, "packed", coordinator)

    response = api(case_worker_a).post(f"/api/v1/delivery-requests/{submitted.pk}/cancel/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_another_agency_cannot_cancel_and_volunteers_may_not(api, submitted, case_worker_b, volunteer):
    url = f"/api/v1/delivery-requests/{submitted.pk}/cancel/"

    assert api(case_worker_b).post(url, {}, format="json").status_code == 404
    assert api(volunteer).post(url, {}, format="json").status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == "submitted"


def test_coordinator_may_cancel(api, submitted, coordinator):
    response = api(coordinator).post(f"/api/v1/delivery-requests/{submitted.pk}/cancel/", {}, format="json")

    assert response.json()["status"] == "cancelled"


# --- Locks ----------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_status_change_locks_the_row_before_writing(submitted, coordinator):
    with CaptureQueriesContext(connection) as ctx:
        services.approve_request(request_id=submitted.pk, by=coordinator)

    sqls = [q["sql"] for q in ctx.captured_queries]
    lock = next(i for i, sql in enumerate(sqls) if "FOR UPDATE" in sql and "referrals_deliveryrequest" in sql)
    write = next(i for i, sql in enumerate(sqls) if sql.startswith('UPDATE "referrals_deliveryrequest"'))
    assert lock < write
    assert 'FOR UPDATE OF "referrals_deliveryrequest"' in sqls[lock]


@pytest.mark.postgres
def test_bulk_scheduling_locks_rows_in_primary_key_order(network, case_worker_a, coordinator):
    requests = [file_request(case_worker_a, network.agency_a) for _ in range(3)]
    for r in requests:
        services.approve_request(request_id=r.pk, by=coordinator)

    with CaptureQueriesContext(connection) as ctx:
        services.schedule_for_batch(request_ids=[r.pk for r in reversed(requests)], batch_ref="B-1")

    lock = next(q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"])
    # ordered by the primary key (by name, or by its position when the id is the first column read)
    assert 'ORDER BY "referrals_deliveryrequest"."id" ASC' in lock or (
        lock.startswith('SELECT "referrals_deliveryrequest"."id"') and "ORDER BY 1 ASC" in lock
    )


# --- What shipping uses ---------------------------------------------------------------------------


def _approve_at(request, by, when):
    services.approve_request(request_id=request.pk, by=by)
    DeliveryRequest.objects.filter(pk=request.pk).update(approved_at=when)


def test_dispatch_takes_requests_approved_before_the_cutoff(network, case_worker_a, coordinator, settings):
    # Given three requests approved at 14:59, 15:01 and the day before, and one still submitted
    cutoff = selectors.cutoff_at(timezone.localdate())
    early, late, older, waiting = (file_request(case_worker_a, network.agency_a) for _ in range(4))
    _approve_at(early, coordinator, cutoff - timedelta(minutes=1))
    _approve_at(late, coordinator, cutoff + timedelta(minutes=1))
    _approve_at(older, coordinator, cutoff - timedelta(days=1))

    # When shipping's cutoff job asks for today's batch
    due = selectors.approved_requests_for_dispatch(food_bank_id=network.food_bank.pk, approved_before=cutoff)

    # Then it gets the ones approved before the cutoff, oldest approval first
    assert [r.pk for r in due] == [older.pk, early.pk]
    # and the late one waits for tomorrow's
    tomorrow = selectors.approved_requests_for_dispatch(
        food_bank_id=network.food_bank.pk, approved_before=cutoff + timedelta(days=1)
    )
    assert [r.pk for r in tomorrow] == [older.pk, early.pk, late.pk]
    assert waiting.pk not in {r.pk for r in tomorrow}


def test_dispatch_holds_back_requests_wanted_later_and_leaves_out_other_food_banks(
    network, case_worker_a, coordinator, other_coordinator
):
    today = timezone.localdate()
    soon = file_request(case_worker_a, network.agency_a, delivery_date=today + timedelta(days=2))
    later = file_request(case_worker_a, network.agency_a, delivery_date=today + timedelta(days=5))
    for r in (soon, later):
        services.approve_request(request_id=r.pk, by=coordinator)
    now = timezone.now() + timedelta(seconds=1)

    due = selectors.approved_requests_for_dispatch(
        food_bank_id=network.food_bank.pk, approved_before=now, ship_date=today
    )
    elsewhere = selectors.approved_requests_for_dispatch(
        food_bank_id=network.other_food_bank.pk, approved_before=now
    )

    assert [r.pk for r in due] == [soon.pk]
    assert list(elsewhere) == []


def test_dispatch_leaves_out_a_request_whose_consent_was_withdrawn_behind_the_services_back(
    network, submitted, coordinator
):
    services.approve_request(request_id=submitted.pk, by=coordinator)
    share = submitted.recipient.consents.get(purpose="share_with_foodbank")
    ConsentWithdrawal.objects.create(
        consent=share,
        withdrawn_at=timezone.now(),
        recorded_by=coordinator,
        recorded_by_organisation=network.food_bank,
    )

    due = selectors.approved_requests_for_dispatch(
        food_bank_id=network.food_bank.pk, approved_before=timezone.now() + timedelta(seconds=1)
    )

    assert list(due) == []


def test_schedule_for_batch_skips_what_changed_meanwhile(network, case_worker_a, coordinator):
    kept, cancelled = (file_request(case_worker_a, network.agency_a) for _ in range(2))
    for r in (kept, cancelled):
        services.approve_request(request_id=r.pk, by=coordinator)
    services.cancel_request(request_id=cancelled.pk, by=coordinator)

    scheduled = services.schedule_for_batch(request_ids=[cancelled.pk, kept.pk], batch_ref="B-7", by=None)
    again = services.schedule_for_batch(request_ids=[kept.pk], batch_ref="B-8", by=None)

    assert scheduled == [kept.pk]
    assert again == []
    kept.refresh_from_db()
    assert (kept.status, kept.batch_ref) == ("scheduled", "B-7")
    assert kept.events.latest("pk").to_status == "scheduled"


def test_schedule_for_batch_writes_one_event_per_request_with_who_and_the_batch(
    network, case_worker_a, coordinator
):
    requests = [file_request(case_worker_a, network.agency_a) for _ in range(3)]
    for r in requests:
        services.approve_request(request_id=r.pk, by=coordinator)

    services.schedule_for_batch(request_ids=[r.pk for r in requests], batch_ref="B-3", by=coordinator)

    for r in requests:
        event = r.events.latest("pk")
        assert (event.from_status, event.to_status, event.note, event.by) == (
            "approved",
            "scheduled",
            "B-3",
            coordinator,
        )
        assert event.at is not None


def test_schedule_for_batch_takes_a_fixed_number_of_queries(
    network, case_worker_a, coordinator, django_assert_num_queries
):
    requests = [file_request(case_worker_a, network.agency_a) for _ in range(5)]
    for r in requests:
        services.approve_request(request_id=r.pk, by=coordinator)

    # SAVEPOINT, lock the rows, their consents, one UPDATE, one INSERT … SELECT of the events, the
    # outbox message that tells the webhooks (docs/webhooks.md), RELEASE: the same for 5 requests
    # or 5,000.
    with django_assert_num_queries(7):
        services.schedule_for_batch(request_ids=[r.pk for r in requests], batch_ref="B-9")


def test_mark_many_shipped_is_all_or_nothing(network, case_worker_a, coordinator):
    packed, only_scheduled = (file_request(case_worker_a, network.agency_a) for _ in range(2))
    bring_to(packed, "packed", coordinator)
    bring_to(only_scheduled, "scheduled", coordinator)

    with pytest.raises(InvalidTransition):
        services.mark_many_shipped(
            shipments=[
                (packed.pk, "123456789013", TRACKING_URL),
                (only_scheduled.pk, "123456789024", TRACKING_URL),
            ]
        )

    packed.refresh_from_db()
    assert (packed.status, packed.tracking_number) == ("packed", "")
    assert services.mark_many_shipped(shipments=[(packed.pk, "123456789013", TRACKING_URL)]) == [packed.pk]
    packed.refresh_from_db()
    assert (packed.status, packed.tracking_number) == ("shipped", "123456789013")


def test_packing_view_shows_what_to_pack_and_never_the_narrative(network, case_worker_a):
    request = file_request(
        case_worker_a,
        network.agency_a,
        allergies="えび・かに",
        dietary_note="たんぱく質多めに",
        extras=[{"item": "diapers", "size": "M", "quantity": 1, "note": ""}],
    )

    (view,) = selectors.packing_views(request_ids=[request.pk])

    assert (view.request_id, view.reference, view.status) == (request.pk, request.reference, "submitted")
    assert view.cooking == request.cooking
    assert view.no_cook is True
    assert view.allergies == "えび・かに"
    assert view.dietary_note == "たんぱく質多めに"
    assert view.extras == (ExtraWanted(item="diapers", size="M", quantity=1),)
    assert (view.household_size, view.infants) == (3, 1)
    assert (view.label.name, view.label.postal_code, view.label.municipality, view.label.phone) == (
        "山田 花子",
        "0470024",
        "小樽市",
        "+819012345678",
    )
    fields = set(view.__dataclass_fields__) | set(view.label.__dataclass_fields__)
    assert not fields & {
        "situation_note",
        "situation_category",
        "debts_note",
        "has_debts",
        "consents",
        "consent",
    }
    assert "生活保護" not in repr(view)


def test_packing_views_take_one_query_for_many(network, case_worker_a, django_assert_num_queries):
    ids = [file_request(case_worker_a, network.agency_a).pk for _ in range(4)]

    with django_assert_num_queries(1):
        views = selectors.packing_views(request_ids=list(reversed(ids)))

    assert [v.request_id for v in views] == list(reversed(ids))


def test_time_to_cutoff(settings):
    tz = timezone.get_current_timezone()
    morning = datetime(2025, 6, 2, 9, 30, tzinfo=tz)
    evening = datetime(2025, 6, 2, 16, 0, tzinfo=tz)

    assert selectors.time_to_cutoff(morning) == timedelta(hours=5, minutes=30)
    assert selectors.time_to_cutoff(evening) is None
