"""The registry, the local carrier, voiding, and the pickup calendar."""

import io
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from shipping.carriers import carrier_choices, get_carrier, next_ship_date
from shipping.exceptions import UnknownCarrier

from .factories import make_account, make_parcel

TOKYO = ZoneInfo("Asia/Tokyo")


def test_registry_knows_yamato_and_local():
    assert get_carrier("yamato").code == "yamato"
    assert get_carrier("local").code == "local"
    assert [code for code, _label in carrier_choices()] == ["yamato", "local"]
    with pytest.raises(UnknownCarrier):
        get_carrier("sagawa")


def test_local_validation_is_minimal(local, account):
    # a partner pick-up needs no phone, postal code or address
    assert (
        local.validate(
            make_parcel(recipient_phone="", recipient_postal_code="", recipient_address=""), account=account
        )
        == []
    )
    problems = local.validate(make_parcel(recipient_name=""), account=account)
    assert [(p.field, p.code) for p in problems] == [("recipient_name", "required")]


def test_local_export_prints_labels_and_holds_back_what_it_cannot_print(local, account):
    parcels = [
        make_parcel("FB-1", count=2),
        make_parcel("FB-2", recipient_name="山田 🍙"),
        make_parcel("FB-3", recipient_address="北海道" + "札幌市中央区北一条西二丁目" * 8),
    ]
    result = local.export_batch(parcels, account=account)
    assert result.exported == ("FB-1",)
    assert result.media_type == "application/pdf"
    assert len(PdfReader(io.BytesIO(result.content)).pages) == 2
    assert [(h.reference, [(p.field, p.code) for p in h.problems]) for h in result.held_back] == [
        ("FB-2", [("recipient_name", "unprintable_character")]),
        ("FB-3", [("recipient_address", "too_long")]),
    ]


def test_void(yamato, local):
    parcel = make_parcel()
    assert yamato.void(parcel).done
    issued = yamato.void(parcel, tracking_number="390459983082")
    assert not issued.done
    assert "390459983082" in issued.instructions
    assert not yamato.void(parcel, exported=True).done
    assert local.void(parcel).done
    assert not local.void(parcel, exported=True).done


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2025, 4, 1, 14, 59, tzinfo=TOKYO), "2025-04-01"),  # Tuesday before the cutoff: same day
        (datetime(2025, 4, 1, 15, 0, tzinfo=TOKYO), "2025-04-02"),  # at the cutoff: next pickup day
        (datetime(2025, 4, 4, 16, 0, tzinfo=TOKYO), "2025-04-07"),  # Friday after the cutoff: Monday
        (datetime(2025, 4, 5, 10, 0, tzinfo=TOKYO), "2025-04-07"),  # Saturday: Monday
        (datetime(2025, 4, 1, 5, 59, tzinfo=UTC), "2025-04-01"),  # 14:59 in Tokyo
        (datetime(2025, 4, 1, 6, 0, tzinfo=UTC), "2025-04-02"),  # 15:00 in Tokyo
    ],
)
def test_next_ship_date_follows_cutoff_and_pickup_days(now, expected):
    assert next_ship_date(make_account(), now).isoformat() == expected


def test_cutoff_and_pickup_days_are_per_account():
    account = make_account(cutoff=time(16, 0), pickup_weekdays=frozenset({0, 2, 4}))
    assert (
        next_ship_date(account, datetime(2025, 4, 1, 10, 0, tzinfo=TOKYO)).isoformat() == "2025-04-02"
    )  # Tue → Wed
    assert next_ship_date(account, datetime(2025, 4, 2, 15, 30, tzinfo=TOKYO)).isoformat() == "2025-04-02"
