"""Demo data of traceability, loaded by `manage.py load_demo_data` after inventory's (idempotent).

Three donors (a company with its agreement on file, a farm, an anonymous individual), an inspected
donation with allergens and one rejected line, home packs assembled from its canned mackerel, and a
recall of that lot (its quarantine and trail), so a new user sees every part of docs/traceability.md.
"""

from contextlib import suppress
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from foodbank.models import Organisation
from inventory import intake, services
from inventory.exceptions import InsufficientStock
from inventory.lot_models import Donor, Recall
from inventory.models import Item, PackType
from inventory.recall import start_recall

REASON = "デモ：メーカー自主回収（アレルゲン表示の欠落）"


def load(*, food_bank: Organisation, stdout=None) -> None:
    if Recall.objects.filter(food_bank=food_bank, reason=REASON).exists():
        return
    coordinator = get_user_model().objects.filter(username="coordinator").first()
    volunteer = get_user_model().objects.filter(username="volunteer").first() or coordinator
    if coordinator is None:
        return
    items = {i.code: i for i in Item.objects.filter(food_bank=food_bank)}
    home = PackType.objects.filter(food_bank=food_bank, code="home").first()
    if home is None or "canned-mackerel" not in items:
        return
    today = timezone.localdate()
    with transaction.atomic():
        company = _donor(
            food_bank,
            kind=Donor.Kind.COMPANY,
            name="北海道マリン食品株式会社",
            contact_name="高橋 品質保証課",
            phone="011-555-0200",
            agreement_on=date(today.year, 4, 1) if today.month >= 4 else date(today.year - 1, 4, 1),
            resale_forbidden_accepted=True,
            handling_terms_accepted=True,
        )
        _donor(food_bank, kind=Donor.Kind.FARM, name="石狩ファーム（デモ）")
        _donor(food_bank, kind=Donor.Kind.INDIVIDUAL, name="")
        warehouse = services.default_warehouse(food_bank.pk)
        receipt = intake.record_inspected_donation(
            site=warehouse,
            donor=company,
            checked_by=volunteer,
            reference="demo-traceability",
            lines=[
                # Dated earlier than the other stock, so assembly takes it first (FEFO).
                intake.InspectedLine(
                    item=items["canned-mackerel"],
                    quantity=120,
                    best_before=today + timedelta(days=60),
                    allergens=["mackerel", "soybean"],
                    jan_code="4901234567894",
                    product_name="さば水煮缶",
                ),
                intake.InspectedLine(
                    item=items["retort-curry"],
                    quantity=80,
                    best_before=today + timedelta(days=300),
                    allergens=["wheat", "milk", "soybean", "pork"],
                ),
                intake.InspectedLine(
                    item=items["biscuits"],
                    quantity=30,
                    best_before=today + timedelta(days=200),
                    allergens=["wheat", "milk", "egg"],
                    accepted=False,
                    reject_reason="damaged",
                    condition="damaged",
                    reject_note="外箱が水濡れ",
                ),
            ],
        )
        mackerel = receipt.lines.get(item=items["canned-mackerel"]).lot
        # The demo's other stock may be short of an item: the recall still shows the mackerel's trail.
        with suppress(InsufficientStock):
            services.assemble_packs(site=warehouse, pack_type=home, quantity=4, recorded_by=coordinator)
        start_recall(food_bank=food_bank, reason=REASON, started_by=coordinator, lot=mackerel)
    if stdout is not None:
        stdout.write("  Traceability: 3 donors, an inspected donation, a recalled lot with its trail")


def _donor(food_bank: Organisation, **values) -> Donor:
    existing = Donor.objects.filter(food_bank=food_bank, name=values["name"], kind=values["kind"]).first()
    return existing or intake.save_donor(food_bank=food_bank, **values)
