"""foodbank.bulk.insert_many: rows as columns in one INSERT, with shared values and defaults."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from foodbank.bulk import insert_many
from foodbank.models import ProvisionRecord
from inventory.models import Reservation, ReservationLine
from referrals.models import Feedback
from tests.inventory.factories import PackTypeFactory


def test_rows_get_their_column_values_shared_values_and_defaults(network):
    before = timezone.now()
    refs = [f"parcel:B1-{i}" for i in range(5)]

    with CaptureQueriesContext(connection) as queries:
        returned = insert_many(
            Reservation,
            columns={"reference": refs},
            same={"food_bank_id": network.food_bank.pk, "site_id": network.warehouse.pk},
            returning=("id", "reference"),
        )

    assert len(queries) == 1
    rows = {r.reference: r for r in Reservation.objects.filter(reference__in=refs)}
    assert set(rows) == set(refs)
    assert {ref: pk for pk, ref in returned} == {ref: r.pk for ref, r in rows.items()}
    for reservation in rows.values():
        assert reservation.food_bank_id == network.food_bank.pk
        assert reservation.site_id == network.warehouse.pk
        assert reservation.state == Reservation.State.ACTIVE  # the field's default
        assert reservation.closed_at is None
        assert reservation.created_at >= before  # auto_now_add


def test_nullable_foreign_keys_dates_and_numbers_arrive_as_given(network):
    pack_type = PackTypeFactory(food_bank=network.food_bank)
    reservation = Reservation.objects.create(
        food_bank=network.food_bank, site=network.warehouse, reference="parcel:x"
    )
    soon = timezone.localdate() + timedelta(days=10)

    insert_many(
        ReservationLine,
        columns={
            "pack_type_id": [pack_type.pk, pack_type.pk],
            "best_before": [soon, None],
            "quantity": [3, 1],
        },
        same={"reservation_id": reservation.pk, "item_id": None},
    )

    lines = list(
        reservation.lines.order_by("quantity").values_list("pack_type_id", "best_before", "quantity")
    )
    assert list(lines) == [(pack_type.pk, None, 1), (pack_type.pk, soon, 3)]


def test_ignore_conflicts_skips_rows_that_exist_and_writes_the_rest(network):
    shared = {
        "food_bank_id": network.food_bank.pk,
        "recipient_name": "ヤマト運輸",
        "data_categories": ["address", "name"],  # JSON: only as a shared value
        "basis": ProvisionRecord.Basis.ENTRUSTMENT,
        "provided_at": timezone.now(),
        "trigger_type": "dispatch_batch_csv",
        "trigger_id": "7",
    }
    insert_many(ProvisionRecord, columns={"subject_id": [1, 2]}, same=shared, ignore_conflicts=True)

    insert_many(ProvisionRecord, columns={"subject_id": [2, 3]}, same=shared, ignore_conflicts=True)

    records = ProvisionRecord.objects.filter(trigger_id="7").order_by("subject_id")
    assert [r.subject_id for r in records] == [1, 2, 3]
    assert all(r.data_categories == ["address", "name"] for r in records)


def test_refuses_what_it_cannot_write_and_writes_nothing(network):
    same = {"food_bank_id": network.food_bank.pk, "site_id": network.warehouse.pk}
    with pytest.raises(ValueError, match="different lengths"):
        insert_many(Reservation, columns={"reference": ["a", "b"], "state": ["active"]}, same=same)
    with pytest.raises(ValueError, match="no fields"):
        insert_many(Reservation, columns={"referense": ["a"]}, same=same)
    with pytest.raises(TypeError, match="shared value"):
        insert_many(
            ProvisionRecord,
            columns={"subject_id": [1], "data_categories": [["name"]]},
            same={"food_bank_id": network.food_bank.pk},
        )
    assert not Reservation.objects.exists()
    assert not ProvisionRecord.objects.exists()


def test_refuses_encrypted_text_as_a_column_and_writes_nothing(network, django_user_model):
    # Encrypted text reports itself as a TextField; given as a column, its values would go to the
    # table in clear.
    user = django_user_model.objects.create_user(username="coordinator-bulk")
    refused = r"Feedback\.message \(EncryptedTextField\) can only be a shared value"
    with pytest.raises(TypeError, match=refused):
        insert_many(
            Feedback,
            columns={"message": ["食べ物が足りません", "ありがとう"]},
            same={
                "food_bank_id": network.food_bank.pk,
                "received_on": timezone.localdate(),
                "recorded_by_id": user.pk,
            },
        )
    assert not Feedback.objects.exists()

    # As a shared value it goes through the field: stored encrypted, read back as written.
    insert_many(
        Feedback,
        columns={"received_on": [timezone.localdate()]},
        same={"food_bank_id": network.food_bank.pk, "message": "ありがとう", "recorded_by_id": user.pk},
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT message FROM {Feedback._meta.db_table}")  # noqa: S608
        (stored,) = cursor.fetchone()
    assert "ありがとう" not in stored
    assert Feedback.objects.get().message == "ありがとう"


def test_no_rows_is_no_query(network):
    with CaptureQueriesContext(connection) as queries:
        assert insert_many(Reservation, columns={"reference": []}, returning=("id",)) == []
    assert len(queries) == 0
