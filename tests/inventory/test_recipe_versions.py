"""Recipe versions are numbered under the pack type's lock, whoever makes them: a coordinator in the
console (``set_pack_recipe``) and the installation's superuser in the admin at the same moment get
consecutive versions, and neither is refused."""

import threading

import pytest
from django.db import transaction

from console import network as console_network
from inventory.models import PackRecipe
from tests.helpers import in_thread

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_recipe_saved_in_the_admin_while_the_console_makes_one_gets_the_next_version(
    admin_client, catalogue, coordinator
):
    day1 = catalogue.day1
    holding, release, errors, answers = threading.Event(), threading.Event(), [], []

    def console_change():
        # A coordinator's new version, its transaction not committed yet
        with transaction.atomic():
            console_network.new_recipe_version(
                by=coordinator, pack_type=day1, lines=[(catalogue.rice, 3)], note="ご飯を増量"
            )
            holding.set()
            release.wait(timeout=30)

    def admin_save():
        return admin_client.post(
            "/admin/inventory/packrecipe/add/",
            {
                "pack_type": day1.pk,
                "note": "水を追加",
                "lines-TOTAL_FORMS": "1",
                "lines-INITIAL_FORMS": "0",
                "lines-MIN_NUM_FORMS": "0",
                "lines-MAX_NUM_FORMS": "1000",
                "lines-0-item": catalogue.water.pk,
                "lines-0-quantity": "2",
            },
        )

    # When the superuser saves a recipe of the same pack type in the admin meanwhile
    console = in_thread(console_change, errors)
    assert holding.wait(timeout=30)
    admin = in_thread(admin_save, errors, answers)
    admin.join(timeout=2)
    try:
        assert admin.is_alive()  # the admin's save waits for the coordinator's transaction
    finally:
        release.set()
        console.join(timeout=30)
        admin.join(timeout=30)

    # Then both are saved, as versions 2 and 3 after the fixture's version 1, each with its lines
    assert not errors, errors
    assert [answer.status_code for answer in answers] == [302]
    versions = PackRecipe.objects.filter(pack_type=day1).order_by("version")
    assert [(r.version, r.note, list(r.lines.values_list("item__code", "quantity"))) for r in versions] == [
        (1, "", [("noodles", 1), ("rice", 2), ("water", 1)]),
        (2, "ご飯を増量", [("rice", 3)]),
        (3, "水を追加", [("water", 2)]),
    ]
