"""A restock to a confidential window (one run by a DV shelter): the box names neither the window
nor its organisation, and the sender is the account's neutral name (docs/privacy.md)."""

import csv
import io

import pytest

from inventory import services as inventory_services
from shipping.models import BatchDocument, Parcel
from shipping.services import CONFIDENTIAL_RECIPIENT_NAME

from .integration import make_b2_account, run_batch, tomorrow_batch

pytestmark = pytest.mark.django_db


def _restock_to(site, stocked, coordinator):
    shipment = inventory_services.request_restock(
        site=site, lines={stocked.day1: 4}, requested_by=coordinator
    )
    return inventory_services.approve_restock(shipment_id=shipment.pk, approved_by=coordinator)


def _carrier_rows(batch) -> list[list[str]]:
    content = BatchDocument.objects.get(batch=batch, kind="carrier_csv").file.read()
    return list(csv.reader(io.StringIO(content.decode("cp932"), newline="")))


@pytest.mark.parametrize("flag_on", ["site", "organisation"])
def test_a_restock_to_a_confidential_window_carries_no_site_name(network, stocked, coordinator, flag_on):
    # given window A marked confidential (itself, or through the organisation that runs it), and a
    # restock to it and one to window B booked into a B2 batch
    target = network.window_a if flag_on == "site" else network.agency_a
    type(network.agency_a).objects.filter(pk__in=[network.agency_a.pk, network.agency_b.pk]).update(
        phone="0134-00-0000"
    )
    type(target).objects.filter(pk=target.pk).update(confidential=True)
    network.window_a.refresh_from_db()
    hidden = _restock_to(network.window_a, stocked, coordinator)
    _restock_to(network.window_b, stocked, coordinator)
    account = make_b2_account(network.food_bank, takes_requests=False, takes_restocks=True)

    # when the batch is built
    batch = run_batch(tomorrow_batch(account).pk)

    # then the confidential window's parcel reads "ご担当者", without company, in the database and
    # in the carrier's file, and the site's or organisation's name is nowhere in the file
    parcel = Parcel.objects.get(restock=hidden)
    assert (parcel.recipient_name, parcel.recipient_company) == (CONFIDENTIAL_RECIPIENT_NAME, "")
    rows = _carrier_rows(batch)
    text = "\n".join(",".join(r) for r in rows)
    assert "小樽窓口" not in text
    assert "小樽市社協" not in text
    row = next(r for r in rows[1:] if r[0] == parcel.reference)
    assert (row[15], row[13]) == (CONFIDENTIAL_RECIPIENT_NAME, "")  # お届け先名, お届け先会社・部門
    assert row[24] == "SK物流センター"  # ご依頼主名: the account's neutral sender
    # and the other window's parcel still names the window
    other = next(r for r in rows[1:] if r[0] != parcel.reference)
    assert (other[15], other[13]) == ("旭川窓口", "旭川市自立サポート")
