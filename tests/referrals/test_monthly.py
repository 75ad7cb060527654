"""The monthly parcel for enrolled single-parent households: exactly one request per enrolment and
month, however often the job runs."""

import threading
from datetime import date

import pytest
from django.db import connection

from referrals import services
from referrals.models import DeliveryRequest, Enrolment
from referrals.tasks import create_monthly_requests_task
from tests.helpers import wait_for

from .factories import file_request

JUNE = date(2025, 6, 1)


def _enrol(request, by, starts_on=date(2025, 5, 1)):
    return services.enrol_in_monthly_programme(request_id=request.pk, by=by, starts_on=starts_on)


@pytest.mark.django_db
def test_enrolment_through_the_api(api, submitted, agency_b_request, case_worker_a, coordinator):
    url = "/api/v1/enrolments/"

    other_agency = api(case_worker_a).post(
        url, {"delivery_request": agency_b_request.pk, "starts_on": "2025-05-20"}, format="json"
    )
    response = api(case_worker_a).post(
        url, {"delivery_request": submitted.pk, "starts_on": "2025-05-20"}, format="json"
    )
    twice = api(coordinator).post(
        url, {"delivery_request": submitted.pk, "starts_on": "2025-06-01"}, format="json"
    )

    assert other_agency.status_code == 404
    assert response.status_code == 201
    assert (response.json()["starts_on"], response.json()["active"]) == ("2025-05-01", True)
    assert twice.status_code == 409
    assert twice.json()["code"] == "not_enrolable"
    assert Enrolment.objects.count() == 1


@pytest.mark.django_db
def test_only_single_parent_households_are_enrolled(network, case_worker_a, coordinator, api):
    couple = file_request(case_worker_a, network.agency_a, household_type="couple")

    response = api(coordinator).post(
        "/api/v1/enrolments/", {"delivery_request": couple.pk, "starts_on": "2025-06-01"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "not_enrolable"
    assert not Enrolment.objects.exists()


@pytest.mark.django_db
def test_monthly_job_run_twice_creates_one_request_per_enrolment(
    network, case_worker_a, case_worker_b, coordinator
):
    # Given two enrolled households (one from each agency) and one whose enrolment ended in May
    first = file_request(case_worker_a, network.agency_a, allergies="卵", situation_note="秘密の事情")
    second = file_request(case_worker_b, network.agency_b, time_slot="1820")
    ended = file_request(case_worker_a, network.agency_a)
    e1, e2 = _enrol(first, coordinator), _enrol(second, coordinator)
    e3 = _enrol(ended, coordinator)
    services.end_enrolment(enrolment_id=e3.pk, by=coordinator, last_month=date(2025, 5, 31))

    # When June's job runs twice
    created_first = services.create_monthly_requests(month=date(2025, 6, 15))
    created_again = services.create_monthly_requests(month=JUNE)

    # Then each active enrolment has exactly one June request, approved, with the enrolled needs
    assert (created_first, created_again) == (2, 0)
    june = DeliveryRequest.objects.filter(programme_month=JUNE).order_by("enrolment_id")
    assert [(r.enrolment_id, r.source, r.status) for r in june] == [
        (e1.pk, "programme", "approved"),
        (e2.pk, "programme", "approved"),
    ]
    copy = june[0]
    assert (copy.recipient_id, copy.agency_id, copy.allergies) == (
        first.recipient_id,
        network.agency_a.pk,
        "卵",
    )
    assert copy.situation_note == ""  # a narrative of its time is not copied
    assert june[1].time_slot == "1820"
    assert [(e.from_status, e.to_status) for e in copy.events.order_by("pk")] == [
        ("", "submitted"),
        ("submitted", "approved"),
    ]
    assert copy.approved_at is not None
    # And July gets its own
    assert services.create_monthly_requests(month=date(2025, 7, 1)) == 2


@pytest.mark.django_db
def test_monthly_job_skips_households_without_valid_consent(network, submitted, coordinator):
    _enrol(submitted, coordinator)
    share = submitted.recipient.consents.get(purpose="share_with_foodbank")
    from referrals.models import ConsentWithdrawal

    # Withdrawn behind the services' back (so the enrolment is still active): the job re-checks.
    ConsentWithdrawal.objects.create(
        consent=share,
        withdrawn_at=share.decided_at,
        recorded_by=coordinator,
        recorded_by_organisation=network.food_bank,
    )

    assert services.create_monthly_requests(month=JUNE) == 0
    assert not DeliveryRequest.objects.filter(source="programme").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_create_one_request_per_enrolment(network, case_worker_a, coordinator):
    for _ in range(3):
        _enrol(file_request(case_worker_a, network.agency_a), coordinator)
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(services.create_monthly_requests(month=JUNE))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sum(results) == 3
    assert DeliveryRequest.objects.filter(programme_month=JUNE).count() == 3


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_celery_task_run_twice_by_a_real_worker_creates_one_per_enrolment(
    celery_worker, network, case_worker_a, coordinator
):
    enrolments = [_enrol(file_request(case_worker_a, network.agency_a), coordinator) for _ in range(2)]

    # One after the other (concurrent runs are the PostgreSQL test above; SQLite's shared in-memory
    # test database does not wait for table locks).
    first = create_monthly_requests_task.apply_async(kwargs={"month": "2025-06-01"}).get(timeout=30)
    second = create_monthly_requests_task.apply_async(kwargs={"month": "2025-06-20"}).get(timeout=30)

    assert (first, second) == (2, 0)
    wait_for(
        lambda: DeliveryRequest.objects.filter(programme_month=JUNE).count() == 2, message="June requests"
    )
    assert sorted(
        DeliveryRequest.objects.filter(programme_month=JUNE).values_list("enrolment_id", flat=True)
    ) == [e.pk for e in enrolments]


def test_the_monthly_job_is_on_the_beat_schedule(settings):
    from foodbank.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["monthly-programme-requests"]
    app.loader.import_default_modules()

    assert (
        entry["task"] == create_monthly_requests_task.name == "referrals.tasks.create_monthly_requests_task"
    )
    assert entry["task"] in app.tasks
    assert (entry["schedule"].day_of_month, entry["schedule"].hour) == ({1}, {5})
