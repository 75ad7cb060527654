"""The API takes JSON bodies only (multipart only where a file is uploaded); pages keep their forms."""

import pytest

from referrals.models import DeliveryRequest, Recipient
from tests.referrals.factories import body

pytestmark = pytest.mark.django_db


def test_a_form_encoded_request_is_415_and_writes_nothing(api, network, case_worker_a):
    # given a case worker's request sent as a form, not JSON
    data = {"client_reference": "CASE-1", "days_needed": "7"}

    # when it is posted as form data and as multipart
    form = api(case_worker_a).post("/api/v1/delivery-requests/", data, format="multipart")
    urlencoded = api(case_worker_a).post(
        "/api/v1/delivery-requests/", "days_needed=7", content_type="application/x-www-form-urlencoded"
    )

    # then both are refused as an unsupported media type, with a JSON error, and nothing is written
    assert (form.status_code, urlencoded.status_code) == (415, 415), form.content
    assert form.json()["code"] == "unsupported_media_type"
    assert not DeliveryRequest.objects.exists()
    assert not Recipient.objects.exists()


def test_the_same_request_as_json_is_created(api, network, case_worker_a):
    response = api(case_worker_a).post("/api/v1/delivery-requests/", body(), format="json")

    assert response.status_code == 201, response.json()
    assert DeliveryRequest.objects.count() == 1
