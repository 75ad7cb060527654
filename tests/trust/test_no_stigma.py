"""Parcels carry no stigma: the sender on the courier CSV and on our own address labels is the
carrier account's configured neutral name, and the food bank's name appears on neither, so a
neighbour does not read "food bank" on the box."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from referrals import services as referral_services
from referrals.models import DeliveryRequest
from shipping.models import BatchDocument
from tests.inventory.helpers import put_stock
from tests.referrals.factories import file_request
from tests.shipping.integration import make_b2_account, make_local_account, run_batch, tomorrow_batch

NEUTRAL = "みどり流通センター"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def approved(network, case_worker_a, coordinator, catalogue):
    put_stock(network.warehouse, pack_type=catalogue.home, quantity=10)
    for item in (catalogue.noodles, catalogue.rice):
        put_stock(network.warehouse, item=item, quantity=100)
    request = file_request(case_worker_a, network.agency_a)
    referral_services.approve_request(request_id=request.pk, by=coordinator)
    DeliveryRequest.objects.filter(pk=request.pk).update(approved_at=timezone.now() - timedelta(hours=1))
    return request


def _document(batch, kind) -> bytes:
    with BatchDocument.objects.get(batch=batch, kind=kind).file.open("rb") as f:
        return f.read()


def test_the_b2_csv_names_the_configured_neutral_sender(network, approved):
    # Given a Yamato account configured with a neutral sender name
    account = make_b2_account(network.food_bank, sender_name=NEUTRAL)

    # When the day's batch is built
    batch = run_batch(tomorrow_batch(account).pk)

    # Then every row of the B2 CSV has that sender (column 25, ご依頼主名) and no food bank name
    text = _document(batch, BatchDocument.Kind.CARRIER_CSV).decode("cp932")
    rows = list(csv.reader(io.StringIO(text)))
    header, *data_rows = [row for row in rows if row]
    assert header[24] == "ご依頼主名"
    # (one row per box: the household's food fills one or more)
    assert data_rows
    assert {row[24] for row in data_rows} == {NEUTRAL}
    assert network.food_bank.name not in text
    assert "フードバンク" not in text


def test_our_address_labels_name_the_configured_neutral_sender(network, approved):
    # Given a local (hand delivery) account that takes requests, with a neutral sender name
    account = make_local_account(network.food_bank, sender_name=NEUTRAL, takes_requests=True)

    # When the day's batch is built
    batch = run_batch(tomorrow_batch(account).pk)

    # Then the labels carry the neutral sender and not the food bank's name
    pdf = PdfReader(io.BytesIO(_document(batch, BatchDocument.Kind.LABELS)))
    text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    assert NEUTRAL in text
    assert network.food_bank.name not in text
    assert "フードバンク" not in text
