"""Demo data of `shipping`, loaded by `manage.py load_demo_data` after the network and the
inventory (idempotent): a Yamato (B2 Cloud) account for parcels to households and a local account
for restocks to windows and pantry boxes — both with a neutral sender name, so a neighbour reading
the box learns nothing — and a children's cafeteria with one pantry shipment waiting for a batch."""

from django.contrib.auth import get_user_model

from foodbank.models import Organisation
from inventory.models import PackType

from .models import CarrierAccount, PantryShipment

SENDER = {
    "sender_name": "SK物流センター",
    "sender_name_kana": "ｴｽｹｲﾌﾞﾂﾘｭｳｾﾝﾀｰ",
    "sender_phone": "011-555-0100",
    "sender_postal_code": "0650012",
    "sender_address": "北海道札幌市東区北十二条東3丁目1-1",
}


def load(*, food_bank: Organisation, stdout=None) -> None:
    yamato, _ = CarrierAccount.objects.update_or_create(
        food_bank=food_bank,
        name="ヤマト運輸（B2クラウド）",
        defaults={
            "carrier": "yamato",
            "billing_customer_code": "011234567801",
            "freight_number": "01",
            "takes_requests": True,
            "takes_restocks": False,
            "takes_pantry": False,
            **SENDER,
        },
    )
    local, _ = CarrierAccount.objects.update_or_create(
        food_bank=food_bank,
        name="自社便・引き取り",
        defaults={
            "carrier": "local",
            "takes_requests": False,
            "takes_restocks": True,
            "takes_pantry": True,
            **SENDER,
        },
    )
    _load_pantry(food_bank)
    if stdout is not None:
        stdout.write(f"shipping: carrier accounts {yamato.pk}, {local.pk}\n")


def _load_pantry(food_bank: Organisation) -> None:
    cafeteria, _ = Organisation.objects.update_or_create(
        code="demo-kodomo-shokudo",
        defaults={
            "name": "こども食堂ひがし",
            "name_kana": "コドモショクドウヒガシ",
            "kind": Organisation.Kind.PANTRY_GROUP,
            "food_bank": food_bank,
            "municipality": "札幌市東区",
        },
    )
    pack_type = PackType.objects.filter(food_bank=food_bank, active=True).order_by("-days").first()
    coordinator = get_user_model().objects.filter(username="coordinator").first()
    if pack_type is None or coordinator is None or PantryShipment.objects.filter(partner=cafeteria).exists():
        return
    PantryShipment.objects.create(
        food_bank=food_bank,
        partner=cafeteria,
        pack_type=pack_type,
        quantity=10,
        contact_name="東 花子",
        phone="011-555-0142",
        postal_code="0650012",
        address="北海道札幌市東区北十二条東5丁目",
        note="冷暗所保管",
        created_by=coordinator,
    )
