"""Load the demo network: a food bank in Sapporo, its warehouse, windows across Hokkaido, two
partner agencies and one user per role. Safe to run again: it changes nothing the second time."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from foodbank import tokens
from foodbank.models import Organisation, Role, Site
from foodbank.services import grant_role, upsert_site
from inventory import demo as inventory_demo
from referrals import demo as referrals_demo
from reports import demo as reports_demo
from shipping import demo as shipping_demo
from traceability import demo as traceability_demo

K = Organisation.Kind

FOOD_BANK = {
    "code": "demo-foodbank",
    "name": "フードバンクさっぽろ北（デモ）",
    "name_kana": "フードバンクサッポロキタ",
    "kind": K.FOOD_BANK,
    "municipality": "札幌市東区",
}

# Readings (name_kana, docs/directory.md) are of the name without the 「（デモ）」 marker.
# (code, name, reading, kind, municipality)
PARTNERS = [
    (
        "sapporo-step",
        "札幌市生活就労支援センター（デモ）",
        "サッポロシセイカツシュウロウシエンセンター",
        K.INDEPENDENCE_SUPPORT,
        "札幌市中央区",
    ),
    (
        "ebetsu-shakyo",
        "江別市社会福祉協議会（デモ）",
        "エベツシシャカイフクシキョウギカイ",
        K.SOCIAL_WELFARE_COUNCIL,
        "江別市",
    ),
    (
        "otaru-shakyo",
        "小樽市社会福祉協議会（デモ）",
        "オタルシシャカイフクシキョウギカイ",
        K.SOCIAL_WELFARE_COUNCIL,
        "小樽市",
    ),
    (
        "asahikawa-jiritsu",
        "旭川市自立サポートセンター（デモ）",
        "アサヒカワシジリツサポートセンター",
        K.INDEPENDENCE_SUPPORT,
        "旭川市",
    ),
    (
        "hakodate-shakyo",
        "函館市社会福祉協議会（デモ）",
        "ハコダテシシャカイフクシキョウギカイ",
        K.SOCIAL_WELFARE_COUNCIL,
        "函館市",
    ),
    (
        "kushiro-city",
        "釧路市 生活福祉事務所（デモ）",
        "クシロシ セイカツフクシジムショ",
        K.MUNICIPALITY,
        "釧路市",
    ),
    (
        "obihiro-houkatsu",
        "帯広市地域包括支援センター（デモ）",
        "オビヒロシチイキホウカツシエンセンター",
        K.COMMUNITY_SUPPORT_CENTER,
        "帯広市",
    ),
    (
        "kitami-npo",
        "NPO法人 北見ささえあいネット（デモ）",
        "エヌピーオーホウジン キタミササエアイネット",
        K.NPO,
        "北見市",
    ),
    (
        "kita-shelter",
        "女性と子どものシェルター北（デモ）",
        "ジョセイトコドモノシェルターキタ",
        K.DV_SHELTER,
        "札幌市北区",
    ),
]
# A DV shelter's whereabouts must not leak: the organisation and its window are confidential
# (never in open data or a directory; parcels to it carry no site name).
CONFIDENTIAL = {"kita-shelter", "window-shelter"}

WAREHOUSE = (
    "demo-warehouse",
    "demo-foodbank",
    "フードバンクさっぽろ北 倉庫",
    "フードバンクサッポロキタ ソウコ",
    "0650011",
    "北11条東7丁目1-1",
)

# (code, organisation code, name, reading, postal code, street, opening hours)
WINDOWS = [
    (
        "window-sapporo",
        "sapporo-step",
        "札幌市生活就労支援センター 相談窓口",
        "サッポロシセイカツシュウロウシエンセンター ソウダンマドグチ",
        "0600042",
        "大通西19丁目1-1",
        "月〜金 8:45–17:15",
    ),
    (
        "window-otaru",
        "otaru-shakyo",
        "小樽市社協 生活相談窓口",
        "オタルシシャキョウ セイカツソウダンマドグチ",
        "0470024",
        "花園2丁目6-7",
        "月〜金 9:00–17:00",
    ),
    (
        "window-asahikawa",
        "asahikawa-jiritsu",
        "旭川市自立サポートセンター 窓口",
        "アサヒカワシジリツサポートセンター マドグチ",
        "0700031",
        "1条通8丁目108",
        "月〜金 8:45–17:15",
    ),
    (
        "window-hakodate",
        "hakodate-shakyo",
        "函館市社協 くらしの相談窓口",
        "ハコダテシシャキョウ クラシノソウダンマドグチ",
        "0400011",
        "本町3-12",
        "月〜金 9:00–17:00",
    ),
    (
        "window-kushiro",
        "kushiro-city",
        "釧路市 生活相談窓口",
        "クシロシ セイカツソウダンマドグチ",
        "0850016",
        "錦町4丁目",
        "月〜金 8:50–17:20",
    ),
    (
        "window-obihiro",
        "obihiro-houkatsu",
        "帯広市地域包括支援センター 相談室",
        "オビヒロシチイキホウカツシエンセンター ソウダンシツ",
        "0800010",
        "大通南7丁目",
        "月〜金 8:45–17:30",
    ),
    (
        "window-kitami",
        "kitami-npo",
        "北見ささえあいネット 相談窓口",
        "キタミササエアイネット ソウダンマドグチ",
        "0900024",
        "北4条東3丁目",
        "火〜土 10:00–16:00",
    ),
    (
        "window-shelter",
        "kita-shelter",
        "シェルター北 相談室",
        "シェルターキタ ソウダンシツ",
        "0010010",
        "北10条西4丁目",
        "月〜金 10:00–16:00",
    ),
]

# (username, full name, role, organisation code, site code)
USERS = [
    ("coordinator", "佐藤 コーディネーター", Role.COORDINATOR, "demo-foodbank", None),
    ("window_sapporo", "高橋 窓口（札幌）", Role.WINDOW_STAFF, "sapporo-step", "window-sapporo"),
    ("window_otaru", "鈴木 窓口（小樽）", Role.WINDOW_STAFF, "otaru-shakyo", "window-otaru"),
    ("caseworker_sapporo", "田中 ケースワーカー（札幌）", Role.CASE_WORKER, "sapporo-step", None),
    ("caseworker_ebetsu", "伊藤 ケースワーカー（江別）", Role.CASE_WORKER, "ebetsu-shakyo", None),
    ("volunteer", "渡辺 ボランティア", Role.VOLUNTEER, "demo-foodbank", None),
    ("navi", "支援情報ナビ 連携", Role.INTEGRATION, "demo-foodbank", None),
]


class Command(BaseCommand):
    help = "Load the demo network and users (idempotent). Password: DEMO_PASSWORD."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Print nothing on success.")

    @transaction.atomic
    def handle(self, *args, quiet=False, **options):
        food_bank, _ = Organisation.objects.update_or_create(
            code=FOOD_BANK["code"],
            defaults={
                "name": FOOD_BANK["name"],
                "name_kana": FOOD_BANK["name_kana"],
                "kind": FOOD_BANK["kind"],
                "municipality": FOOD_BANK["municipality"],
                "regional_bureau": "ishikari",
            },
        )
        orgs = {food_bank.code: food_bank}
        for code, name, name_kana, kind, municipality in PARTNERS:
            orgs[code], _ = Organisation.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "name_kana": name_kana,
                    "kind": kind,
                    "food_bank": food_bank,
                    "municipality": municipality,
                    "confidential": code in CONFIDENTIAL,
                },
            )

        code, org_code, name, name_kana, postal_code, street = WAREHOUSE
        upsert_site(
            code=code,
            food_bank=food_bank,
            organisation=orgs[org_code],
            kind=Site.Kind.WAREHOUSE,
            name=name,
            name_kana=name_kana,
            postal_code=postal_code,
            address=street,
            opening_hours="月〜金 9:00–17:00",
        )
        for code, org_code, name, name_kana, postal_code, street, hours in WINDOWS:
            site = upsert_site(
                code=code,
                food_bank=food_bank,
                organisation=orgs[org_code],
                kind=Site.Kind.WINDOW,
                name=name,
                name_kana=name_kana,
                postal_code=postal_code,
                address=street,
                opening_hours=hours,
                confidential=code in CONFIDENTIAL,
            )
            # A partner's regional bureau follows its window (used to match referrals).
            Organisation.objects.filter(pk=site.organisation_id, regional_bureau="").update(
                regional_bureau=site.regional_bureau
            )

        User = get_user_model()
        password = settings.DEMO_PASSWORD
        for username, full_name, role, org_code, site_code in USERS:
            last, first = full_name.split(" ", 1)
            user, created = User.objects.get_or_create(
                username=username, defaults={"last_name": last, "first_name": first}
            )
            if role == Role.INTEGRATION:
                # A machine client signs in with its token only: no usable password.
                if user.has_usable_password():
                    user.set_unusable_password()
                    user.save(update_fields=["password"])
            elif created or not user.check_password(password):
                user.set_password(password)
                user.save(update_fields=["password"])
            site = Site.objects.get(code=site_code) if site_code else None
            grant_role(user=user, role=role, organisation=orgs[org_code], site=site)
        User.objects.filter(username="coordinator").update(is_staff=True)
        admin, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        if created or not admin.check_password(password):
            admin.set_password(password)
            admin.save(update_fields=["password"])
        # The Navi token is derived from DEMO_PASSWORD, so a second run finds it and changes nothing.
        navi_key = tokens.derived_key(seed=password, username="navi")
        navi_token, _ = tokens.ensure_token(
            user=User.objects.get(username="navi"), name="Navi demo", key=navi_key
        )

        self.load_apps(food_bank=food_bank)
        if not quiet:
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
            self.stdout.write(
                "  Users (password from DEMO_PASSWORD): "
                f"{', '.join(u[0] for u in USERS if u[2] != Role.INTEGRATION)}, admin"
            )
            state = " (revoked)" if navi_token.revoked_at else ""
            self.stdout.write(f"  Navi integration token: {navi_key}{state}")

    def load_apps(self, *, food_bank: Organisation) -> None:
        """Each app's demo data (stock, requests …), in dependency order."""
        for module in (inventory_demo, referrals_demo, shipping_demo, reports_demo, traceability_demo):
            module.load(food_bank=food_bank, stdout=self.stdout)
