"""Demo data of `shipping`, loaded by `manage.py load_demo_data` after the network (idempotent):
a Yamato (B2 Cloud) account for parcels to households and a local account for restocks to windows
and pantry boxes. Both use a neutral sender name: a neighbour reading the box learns nothing."""

from foodbank.models import Organisation

from .models import CarrierAccount

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
    if stdout is not None:
        stdout.write(f"shipping: carrier accounts {yamato.pk}, {local.pk}\n")
