"""Demo data of `inventory`, loaded by `manage.py load_demo_data` after the network (idempotent).

Items, the three pack types with their recipes, a donation received at the warehouse, packs
assembled from it, and a restock of 1-day and 3-day sets delivered to every window (through the real
workflow: requested → approved → packed → received), so a new user can hand out at once.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from foodbank.models import Organisation, Site

from . import services
from .models import DonationReceipt, Item, PackType, ParLevel

# (code, name, category, unit, kg per unit, best-before in days or None)
ITEMS = [
    ("cup-noodle", "カップ麺", Item.Category.FOOD, "個", "0.080", 150),
    ("rice-pack", "パックご飯", Item.Category.FOOD, "個", "0.200", 240),
    ("canned-mackerel", "サバ缶", Item.Category.FOOD, "缶", "0.190", 700),
    ("retort-curry", "レトルトカレー", Item.Category.FOOD, "袋", "0.200", 500),
    ("canned-bread", "缶入りパン", Item.Category.FOOD, "缶", "0.100", 900),
    ("water-500", "飲料水 500ml", Item.Category.DRINK, "本", "0.500", 700),
    ("yokan", "ようかん", Item.Category.FOOD, "本", "0.060", 400),
    ("biscuits", "ビスケット", Item.Category.FOOD, "袋", "0.100", 300),
    ("rice-5kg", "お米 5kg", Item.Category.FOOD, "袋", "5.000", 365),
    ("miso-soup", "即席みそ汁", Item.Category.FOOD, "袋", "0.020", 300),
    ("diapers-m", "紙おむつ M", Item.Category.BABY, "枚", "0.040", None),
    ("gas-canister", "カセットボンベ", Item.Category.FUEL, "本", "0.350", None),
]

# (code, name, days, order, {item code: quantity})
PACKS = [
    (
        "day1",
        "1日分セット",
        1,
        1,
        {"cup-noodle": 1, "rice-pack": 2, "canned-mackerel": 1, "water-500": 1, "yokan": 1},
    ),
    (
        "day3",
        "3日分セット",
        3,
        2,
        {
            "cup-noodle": 3,
            "rice-pack": 6,
            "canned-mackerel": 2,
            "retort-curry": 2,
            "canned-bread": 1,
            "water-500": 3,
            "biscuits": 1,
        },
    ),
    (
        "home",
        "家庭向けパック（約1週間）",
        7,
        3,
        {
            "rice-5kg": 1,
            "cup-noodle": 5,
            "canned-mackerel": 4,
            "retort-curry": 4,
            "miso-soup": 7,
            "biscuits": 2,
        },
    ),
]

# Donated in the opening receipt (units).
OPENING_STOCK = {
    "cup-noodle": 900,
    "rice-pack": 1500,
    "canned-mackerel": 600,
    "retort-curry": 400,
    "canned-bread": 200,
    "water-500": 800,
    "yokan": 300,
    "biscuits": 200,
    "rice-5kg": 60,
    "miso-soup": 400,
    "diapers-m": 300,
    "gas-canister": 100,
}
ASSEMBLE = {"day1": 120, "day3": 80, "home": 20}
WINDOW_STOCK = {"day1": 12, "day3": 8}
PAR = {"day1": 10, "day3": 8}
MARKER = "demo-opening-stock"


def load(*, food_bank: Organisation, stdout=None) -> None:
    """Items, pack types and recipes always (unchanged when equal); stock only the first time."""
    with transaction.atomic():
        items = {
            code: services.upsert_item(
                food_bank=food_bank, code=code, name=name, category=category, unit=unit, weight_kg=kg
            )
            for code, name, category, unit, kg, _days in ITEMS
        }
        packs = {}
        for code, name, days, order, contents in PACKS:
            packs[code] = services.upsert_pack_type(
                food_bank=food_bank, code=code, name=name, days=days, sort_order=order
            )
            services.set_pack_recipe(
                pack_type=packs[code], lines=[(items[c], q) for c, q in contents.items()], note="デモ"
            )
        windows = list(
            Site.objects.filter(food_bank=food_bank, kind=Site.Kind.WINDOW, active=True).order_by("pk")
        )
        for window in windows:
            for code, par in PAR.items():
                ParLevel.objects.get_or_create(
                    site=window, pack_type=packs[code], defaults={"food_bank": food_bank, "par": par}
                )
        if DonationReceipt.objects.filter(food_bank=food_bank, reference=MARKER).exists():
            return
        _stock(food_bank=food_bank, items=items, packs=packs, windows=windows)
    if stdout is not None:
        stdout.write(
            f"  Inventory: {len(items)} items, {len(packs)} pack types, stock at {len(windows)} windows"
        )


def _stock(*, food_bank: Organisation, items: dict, packs: dict[str, PackType], windows: list[Site]) -> None:
    coordinator = get_user_model().objects.filter(username="coordinator").first()
    warehouse = services.default_warehouse(food_bank.pk)
    today = timezone.localdate()
    days = {code: days for code, _n, _c, _u, _kg, days in ITEMS}
    lines = [
        services.ReceiptLineIn(
            item=items[code],
            quantity=quantity,
            best_before=today + timedelta(days=days[code]) if days[code] else None,
        )
        for code, quantity in OPENING_STOCK.items()
    ]
    weight = sum(items[code].weight_kg * quantity for code, quantity in OPENING_STOCK.items())
    services.record_donation_receipt(
        site=warehouse,
        donor_type="company",
        donor_name="北海道フーズ株式会社（デモ）",
        weight_kg=weight.quantize(weight.__class__("0.01")),
        reference=MARKER,
        lines=lines,
        recorded_by=coordinator,
    )
    for code, quantity in ASSEMBLE.items():
        services.assemble_packs(
            site=warehouse, pack_type=packs[code], quantity=quantity, recorded_by=coordinator
        )
    for window in windows:
        shipment = services.request_restock(
            site=window,
            lines={packs[code]: quantity for code, quantity in WINDOW_STOCK.items()},
            requested_by=coordinator,
            origin="coordinator",
            note="デモ: 初回配備",
        )
        services.approve_restock(shipment_id=shipment.pk, approved_by=coordinator)
        services.mark_restock_packed(shipment_id=shipment.pk, packed_by=coordinator)
        services.confirm_restock_receipt(shipment_id=shipment.pk, received_by=coordinator)
