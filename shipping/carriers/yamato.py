"""Yamato Transport through B2 Cloud: the 基本レイアウト import CSV and the issued-data round trip.

B2 Cloud is file based (docs/spec.md §3.4): the system writes a batch as B2's standard import CSV
(95 columns, cp932, CRLF, a header row, limits counted in cp932 bytes, JIS X 0208 level 1/2 only),
staff import it in B2 Cloud and print the labels, B2 assigns each parcel a 12-digit tracking number,
and staff upload B2's issued-data CSV (same layout, 伝票番号 filled) so the numbers are matched back
by column 1 (お客様管理番号 = our reference). docs/shipping-b2.md lists the columns, the sources
they were checked against, the character mapping table and the rules.

Rules that are decisions, not B2 facts:
- A value that is too long is never truncated: the parcel is held back with a ``too_long`` problem
  naming the field, its length and the limit. A cut address or name can send a week of food to the
  wrong door; staff shorten it (e.g. move the building into the building field) and re-export.
- Characters outside JIS X 0208 are mapped when ``jis.VARIANTS`` knows an accepted form (reported as
  a ``mapped_character`` warning, exported) and held back otherwise (``unmappable_character``).
- A parcel of several boxes (``count`` > 1) is written as one row per box, 送り状種類 6 (発払い
  複数口) under one 複数口くくりキー, each box under its own お客様管理番号 (``box_reference``): B2
  gives every box its own tracking number, and the issued data is matched back box by box.
"""

import csv
import hashlib
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from django.utils.translation import gettext as _

from foodbank import postal
from foodbank.exports import FORMULA_PREFIXES
from shipping.exceptions import CarrierAccountIncomplete, TrackingFileUnreadable

from . import jis
from .base import (
    REFERENCE_PATTERN,
    TIME_SLOTS,
    Carrier,
    CarrierAccount,
    ExportResult,
    HeldBack,
    ParcelData,
    Problem,
    RejectedRow,
    SenderData,
    TrackingImportResult,
    VoidResult,
    box_reference,
    has_errors,
)

__all__ = ["COLUMNS", "Column", "YamatoB2", "is_valid_tracking_number"]


@dataclass(frozen=True, slots=True)
class Column:
    number: int  # 1-based, as in B2's layout
    header: str  # header text of B2's template
    limit: int | None  # cp932 bytes; None where the sources give none (columns left blank)


# B2 Cloud 外部データ取込み 基本レイアウト, 95 columns (docs/shipping-b2.md gives the sources).
COLUMNS: tuple[Column, ...] = tuple(
    Column(i + 1, header, limit)
    for i, (header, limit) in enumerate(
        [
            ("お客様管理番号", 50),
            ("送り状種類", 1),
            ("クール区分", 1),
            ("伝票番号", 12),
            ("出荷予定日", 10),
            ("お届け予定日", 10),
            ("配達時間帯", 4),
            ("お届け先コード", 20),
            ("お届け先電話番号", 15),
            ("お届け先電話番号枝番", 2),
            ("お届け先郵便番号", 8),
            ("お届け先住所", 64),
            ("お届け先アパートマンション名", 32),
            ("お届け先会社・部門１", 50),
            ("お届け先会社・部門２", 50),
            ("お届け先名", 32),
            ("お届け先名(ｶﾅ)", 50),
            ("敬称", 4),
            ("ご依頼主コード", 20),
            ("ご依頼主電話番号", 15),
            ("ご依頼主電話番号枝番", 2),
            ("ご依頼主郵便番号", 8),
            ("ご依頼主住所", 64),
            ("ご依頼主アパートマンション", 32),
            ("ご依頼主名", 32),
            ("ご依頼主名(ｶﾅ)", 50),
            ("品名コード１", 30),
            ("品名１", 50),
            ("品名コード２", 30),
            ("品名２", 50),
            ("荷扱い１", 20),
            ("荷扱い２", 20),
            ("記事", 44),
            ("ｺﾚｸﾄ代金引換額（税込)", 7),
            ("内消費税額等", 7),
            ("止置き", 1),
            ("営業所コード", 6),
            ("発行枚数", 2),
            ("個数口表示フラグ", 1),
            ("請求先顧客コード", 12),
            ("請求先分類コード", 3),
            ("運賃管理番号", 2),
            ("クロネコwebコレクトデータ登録", 1),
            ("クロネコwebコレクト加盟店番号", 9),
            ("クロネコwebコレクト申込受付番号１", 23),
            ("クロネコwebコレクト申込受付番号２", 23),
            ("クロネコwebコレクト申込受付番号３", 23),
            ("お届け予定ｅメール利用区分", 1),
            ("お届け予定ｅメールe-mailアドレス", 60),
            ("入力機種", 1),
            ("お届け予定ｅメールメッセージ", 148),
            ("お届け完了ｅメール利用区分", 1),
            ("お届け完了ｅメールe-mailアドレス", 60),
            ("お届け完了ｅメールメッセージ", 318),
            ("クロネコ収納代行利用区分", 1),
            ("予備", 1),
            ("収納代行請求金額(税込)", 7),
            ("収納代行内消費税額等", 7),
            ("収納代行請求先郵便番号", 8),
            ("収納代行請求先住所", 64),
            ("収納代行請求先住所（アパートマンション名）", 32),
            ("収納代行請求先会社・部門名１", 50),
            ("収納代行請求先会社・部門名２", 50),
            ("収納代行請求先名(漢字)", 32),
            ("収納代行請求先名(カナ)", 50),
            ("収納代行問合せ先名(漢字)", 32),
            ("収納代行問合せ先郵便番号", 8),
            ("収納代行問合せ先住所", 64),
            ("収納代行問合せ先住所（アパートマンション名）", 32),
            ("収納代行問合せ先電話番号", 15),
            ("収納代行管理番号", 20),
            ("収納代行品名", 50),
            ("収納代行備考", 28),
            ("複数口くくりキー", 20),
            ("検索キータイトル1", 20),
            ("検索キー1", 20),
            ("検索キータイトル2", 20),
            ("検索キー2", 20),
            ("検索キータイトル3", 20),
            ("検索キー3", 20),
            ("検索キータイトル4", 20),
            ("検索キー4", 20),
            ("検索キータイトル5", None),
            ("検索キー5", None),
            ("予備", None),
            ("予備", None),
            ("投函予定メール利用区分", 1),
            ("投函予定メールe-mailアドレス", 60),
            ("投函予定メールメッセージ", 148),
            ("投函完了メール（お届け先宛）利用区分", 1),
            ("投函完了メール（お届け先宛）e-mailアドレス", 60),
            ("投函完了メール（お届け先宛）メールメッセージ", 318),
            ("投函完了メール（ご依頼主宛）利用区分", 1),
            ("投函完了メール（ご依頼主宛）e-mailアドレス", 60),
            ("投函完了メール（ご依頼主宛）メールメッセージ", 318),
        ]
    )
)
assert len(COLUMNS) == 95  # noqa: S101 -- the layout is fixed; a wrong edit must fail at import

# Column numbers written by this module (1-based).
C_REFERENCE, C_SLIP_TYPE, C_COOL, C_TRACKING, C_SHIP_DATE, C_DELIVERY_DATE, C_TIME_SLOT = 1, 2, 3, 4, 5, 6, 7
C_TO_PHONE, C_TO_POSTAL, C_TO_ADDRESS, C_TO_BUILDING, C_TO_COMPANY = 9, 11, 12, 13, 14
C_TO_NAME, C_TO_KANA, C_HONORIFIC = 16, 17, 18
C_FROM_PHONE, C_FROM_POSTAL, C_FROM_ADDRESS, C_FROM_BUILDING, C_FROM_NAME, C_FROM_KANA = (
    20,
    22,
    23,
    24,
    25,
    26,
)
C_ITEM_1, C_ITEM_2, C_HANDLING_1, C_HANDLING_2 = 28, 30, 31, 32
C_HOLD_AT_OFFICE, C_LABEL_COUNT, C_BOX_FLAG = 36, 38, 39
C_BUNDLE_KEY = 74  # 複数口くくりキー
C_BILLING_CUSTOMER, C_BILLING_CLASS, C_FREIGHT_NUMBER = 40, 41, 42
# 利用区分 flags written as 0 (not used): some B2 set-ups refuse them blank.
C_UNUSED_FLAGS = (43, 48, 52, 55, 87, 90, 93)

SLIP_TYPE_PREPAID = "0"  # 送り状種類 0 = 発払い (sender pays)
SLIP_TYPE_PREPAID_MULTI = "6"  # 送り状種類 6 = 発払い（複数口）: several boxes to one address
BOX_FLAG_FRAME_AND_COUNT = "3"  # 個数口表示フラグ 3 = 枠と口数を印字する (B2's own for 複数口)
MAX_BOXES = 99  # B2: 出荷予定個数 1 to 99
COOL_NONE = "0"  # クール区分 0 = 通常 (no refrigeration)
HONORIFICS = ("様", "御中", "殿", "行", "係", "宛", "先生", "なし")
PREFECTURES = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
]

TRACKING_URL = "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01={number}"
_DASHES = re.compile(r"[‐‑‒–—―−－ー]")

# お届け先住所 and ご依頼主住所 (64 bytes) are split by B2 Cloud into three parts; its template's
# header notes give each a length in full-width characters: 都道府県 4, 市区郡町村 12, 町・番地 16
# (4 + 12 + 16 = 32 characters = the 64 bytes). Checked here in cp932 bytes like every other limit.
ADDRESS_PARTS = (("都道府県", 8), ("市区郡町村", 24), ("町・番地", 32))
# A municipality when Japan Post's data does not name one: a county's town or village, a
# designated city's ward, or a city, ward, town or village (shortest first).
_MUNICIPALITY = re.compile(r"^(.+?郡.+?[町村]|.+?市.+?区|.+?[市区町村])")
# 出荷予定日: B2 Cloud takes today to 30 days ahead (template note, error ES003001).
SHIP_DATE_MAX_DAYS_AHEAD = 30


def is_valid_tracking_number(number: str) -> bool:
    """12 digits whose first 11, read as a number, leave the 12th as remainder when divided by 7."""
    return (
        len(number) == 12
        and number.isascii()
        and number.isdigit()
        and int(number[:11]) % 7 == int(number[11])
    )


def _phone(raw: str) -> str | None:
    """A Japanese phone number in digits and hyphens (10 or 11 digits starting with 0), or None."""
    text = _DASHES.sub("-", unicodedata.normalize("NFKC", raw)).replace(" ", "").strip("-")
    text = re.sub(r"\((\d+)\)", r"\1-", text)
    if not re.fullmatch(r"[0-9]+(-[0-9]+)*", text):
        return None
    digits = text.replace("-", "")
    if not (digits.startswith("0") and len(digits) in (10, 11)):
        return None
    return text


@lru_cache(maxsize=8192)
def _known_postal_code(digits: str) -> bool:
    # A batch repeats the same few hundred postal codes; Japan Post's data is looked up once each.
    return postal.lookup(digits) is not None


def _bundle_key(reference: str, used: set[str]) -> str:
    """複数口くくりキー (half-width letters and digits, 20 at most) for one parcel's boxes: the
    reference without its hyphens, or a digest when that is too long or already used in this file
    (one key must not join two households' boxes)."""
    key = re.sub(r"[^0-9A-Za-z]", "", reference)
    if len(key) > 20 or key in used:
        key = "K" + hashlib.sha1(reference.encode(), usedforsecurity=False).hexdigest()[:19].upper()
    used.add(key)
    return key


def split_address(address: str, postal_code: str = "") -> tuple[str, str, str]:
    """(都道府県, 市区郡町村, 町・番地) of an address as B2 Cloud splits it (docs/shipping-b2.md).

    The prefecture is the leading one of the 47; the municipality is Japan Post's for the postal
    code when the address continues with it, else what comes before the first space (booking joins
    prefecture + municipality and the street with a space), else a 市/区/郡…町/村 ending; the rest
    is the town and block number.
    """
    text = address.strip()
    prefecture = next((p for p in PREFECTURES if text.startswith(p)), "")
    rest = text[len(prefecture) :].lstrip(" \u3000")
    municipality = ""
    known = _postal_municipality(postal_code)
    if known and rest.startswith(known):
        municipality = known
    elif re.search(r"[ \u3000]", rest):
        municipality = re.split(r"[ \u3000]", rest, maxsplit=1)[0]
    elif match := _MUNICIPALITY.match(rest):
        municipality = match.group(1)
    return prefecture, municipality, rest[len(municipality) :].strip(" \u3000")


@lru_cache(maxsize=8192)
def _postal_municipality(raw: str) -> str:
    try:
        area = postal.lookup(raw) if raw.strip() else None
    except ValueError:
        return ""
    return area.municipality if area else ""


class _Checker:
    """Collects problems and the values to write for one parcel (or one account)."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, field: str, code: str, message: str) -> None:
        self.problems.append(Problem(field, code, message))

    def warning(self, field: str, code: str, message: str) -> None:
        self.problems.append(Problem(field, code, message, "warning"))

    def formula_like(self, field: str, label: str, *texts: str) -> bool:
        """Free text that a spreadsheet would run as a formula (``=1+1``, ``@SUM(1)``): the parcel is
        held back. B2 Cloud prints these columns on the label and refuses a leading apostrophe in
        some of them, so the other exports' neutralising (foodbank.exports) is no option here
        (docs/shipping-b2.md, "Formula characters")."""
        text = next((t for t in texts if t.startswith(FORMULA_PREFIXES)), None)
        if text is None:
            return False
        self.error(
            field,
            "formula_like",
            _(
                "%(label)s starts with 「%(char)s」, which a spreadsheet runs as a formula; "
                "correct it (the parcel is held back until then)."
            )
            % {"label": label, "char": text[0].replace("\t", "TAB").replace("\r", "CR")},
        )
        return True

    def text(self, field: str, label: str, value: str, limit: int, *, required: bool = False) -> str:
        value = value.strip()
        if not value:
            if required:
                self.error(field, "required", _("%(label)s is required by B2 Cloud.") % {"label": label})
            return ""
        fitted = jis.fit_text(value)
        for original, written in fitted.mapped:
            self.warning(
                field,
                "mapped_character",
                _(
                    "%(label)s: 「%(original)s」 is written as 「%(written)s」 "
                    "(B2 Cloud accepts JIS level 1/2 only)."
                )
                % {"label": label, "original": original, "written": written},
            )
        if fitted.unmappable:
            chars = "".join(fitted.unmappable)
            self.error(
                field,
                "unmappable_character",
                _(
                    "%(label)s contains 「%(chars)s」 (%(codes)s), which B2 Cloud does not accept "
                    "and which has no standard replacement; write it another way "
                    "(e.g. the usual kanji or kana)."
                )
                % {
                    "label": label,
                    "chars": chars,
                    "codes": ", ".join(f"U+{ord(c):04X}" for c in fitted.unmappable),
                },
            )
            return ""
        if self.formula_like(field, label, value, fitted.text):
            return ""
        self.limit(field, label, fitted.text, limit)
        return fitted.text

    def kana(self, field: str, label: str, value: str, limit: int) -> str:
        value = value.strip()
        if not value:
            return ""
        fitted = jis.fit_kana(value)
        if fitted.unmappable:
            self.error(
                field,
                "not_kana",
                _("%(label)s must be written in kana; 「%(chars)s」 is not.")
                % {"label": label, "chars": "".join(fitted.unmappable)},
            )
            return ""
        if self.formula_like(field, label, value, fitted.text):
            return ""
        self.limit(field, label, fitted.text, limit)
        return fitted.text

    def limit(self, field: str, label: str, text: str, limit: int) -> None:
        length = jis.cp932_length(text)
        if length > limit:
            self.error(
                field,
                "too_long",
                _(
                    "%(label)s is %(length)d bytes in cp932; B2 Cloud accepts %(limit)d "
                    "(a full-width character counts 2). Shorten it: it is never cut off automatically."
                )
                % {"label": label, "length": length, "limit": limit},
            )

    def address_parts(self, field: str, label: str, address: str, postal_code: str) -> None:
        """Each part of the split address within B2's length (never cut: the parcel is held back)."""
        for (part, limit), text in zip(ADDRESS_PARTS, split_address(address, postal_code), strict=True):
            length = jis.cp932_length(text)
            if length > limit:
                self.error(
                    field,
                    "address_part_too_long",
                    _(
                        "%(label)s: B2 Cloud splits the address, and its %(part)s is %(length)d bytes; "
                        "B2 accepts %(limit)d (%(chars)d full-width characters). Shorten it (e.g. "
                        "move the building and room into their own field): it is never cut off."
                    )
                    % {"label": label, "part": part, "length": length, "limit": limit, "chars": limit // 2},
                )

    def phone(self, field: str, label: str, value: str) -> str:
        if not value.strip():
            self.error(field, "required", _("%(label)s is required by B2 Cloud.") % {"label": label})
            return ""
        phone = _phone(value)
        if phone is None or len(phone) > 15:
            self.error(
                field,
                "invalid_phone",
                _("%(label)s must be a Japanese phone number of 10 or 11 digits, e.g. 011-123-4567.")
                % {"label": label},
            )
            return ""
        return phone

    def postal_code(self, field: str, label: str, value: str) -> str:
        if not value.strip():
            self.error(field, "required", _("%(label)s is required by B2 Cloud.") % {"label": label})
            return ""
        try:
            digits = postal.normalise(value)
        except ValueError:
            self.error(
                field,
                "invalid_postal_code",
                _("%(label)s must have seven digits, e.g. 060-0001.") % {"label": label},
            )
            return ""
        if not _known_postal_code(digits):
            self.warning(
                field,
                "unknown_postal_code",
                _("%(label)s %(code)s is not in Japan Post's data; check it.")
                % {"label": label, "code": digits},
            )
        # Written with the hyphen: unmistakably text (a spreadsheet keeps Hokkaido's leading 0).
        return f"{digits[:3]}-{digits[3:]}"


def _owner(assigned: Mapping[str, str] | Collection[str], number: str, reference: str) -> str | None:
    """The parcel a number is stored on: ``reference`` when it is free (or, given a mapping, its own)."""
    if isinstance(assigned, Mapping):
        return assigned.get(number, reference)
    return None if number in assigned else reference


class YamatoB2(Carrier):
    code = "yamato"
    name = "ヤマト運輸（B2クラウド）"
    supports_tracking = True
    media_type = "text/csv; charset=Shift_JIS"

    # --- validation -------------------------------------------------------------------------------

    def validate_account(self, account: CarrierAccount) -> list[Problem]:
        check = _Checker()
        self._sender_values(check, account.sender)
        if not re.fullmatch(r"[0-9]{10,12}", account.billing_customer_code):
            check.error(
                "billing_customer_code",
                "invalid",
                _("請求先顧客コード must be 10 to 12 digits (from the Yamato contract)."),
            )
        if not re.fullmatch(r"([0-9]{3})?", account.billing_class_code):
            check.error("billing_class_code", "invalid", _("請求先分類コード must be blank or 3 digits."))
        if not re.fullmatch(r"[0-9]{2}", account.freight_number):
            check.error("freight_number", "invalid", _("運賃管理番号 must be 2 digits (e.g. 01)."))
        sender = account.sender.name.casefold()
        if "フードバンク" in sender or "food bank" in sender or "foodbank" in sender:
            check.warning(
                "sender.name",
                "sender_name_not_neutral",
                _(
                    "The sender name is printed on the box; a neutral name keeps neighbours "
                    "from reading 'food bank'."
                ),
            )
        return check.problems

    def _sender_values(self, check: _Checker, sender: SenderData) -> dict[int, str]:
        address = check.text("sender.address", "ご依頼主住所", sender.address, 64, required=True)
        if address:
            check.address_parts("sender.address", "ご依頼主住所", address, sender.postal_code)
        return {
            C_FROM_PHONE: check.phone("sender.phone", "ご依頼主電話番号", sender.phone),
            C_FROM_POSTAL: check.postal_code("sender.postal_code", "ご依頼主郵便番号", sender.postal_code),
            C_FROM_ADDRESS: address,
            C_FROM_BUILDING: check.text("sender.building", "ご依頼主アパートマンション", sender.building, 32),
            C_FROM_NAME: check.text("sender.name", "ご依頼主名", sender.name, 32, required=True),
            C_FROM_KANA: check.kana("sender.name_kana", "ご依頼主名(ｶﾅ)", sender.name_kana, 50),
        }

    def _parcel_values(
        self, check: _Checker, parcel: ParcelData, account: CarrierAccount, today: date | None = None
    ) -> dict[int, str]:
        values: dict[int, str] = {}
        if not REFERENCE_PATTERN.match(parcel.reference):
            check.error(
                "reference",
                "invalid_reference",
                _("お客様管理番号 must be 1 to 50 half-width letters, digits or hyphens."),
            )
        values[C_REFERENCE] = parcel.reference
        if not 1 <= parcel.count <= MAX_BOXES:
            check.error(
                "count",
                "invalid_box_count",
                _("B2 Cloud takes 1 to %(max)d boxes for one household (this parcel has %(count)d).")
                % {"max": MAX_BOXES, "count": parcel.count},
            )
        elif parcel.count > 1 and not REFERENCE_PATTERN.match(
            box_reference(parcel.reference, parcel.count, parcel.count)
        ):
            check.error(
                "reference",
                "invalid_reference",
                _("お客様管理番号 %(reference)s is too long to number its boxes (50 characters at most).")
                % {"reference": box_reference(parcel.reference, parcel.count, parcel.count)},
            )
        if today is not None and not today <= parcel.ship_date <= today + timedelta(SHIP_DATE_MAX_DAYS_AHEAD):
            check.error(
                "ship_date",
                "ship_date_out_of_range",
                _(
                    "出荷予定日 %(date)s: B2 Cloud accepts only today (%(today)s) to %(days)d days ahead; "
                    "book the parcel into a current batch."
                )
                % {
                    "date": parcel.ship_date.strftime("%Y/%m/%d"),
                    "today": today.strftime("%Y/%m/%d"),
                    "days": SHIP_DATE_MAX_DAYS_AHEAD,
                },
            )
        values[C_SHIP_DATE] = parcel.ship_date.strftime("%Y/%m/%d")
        if parcel.delivery_date is not None:
            if parcel.delivery_date <= parcel.ship_date:
                check.error(
                    "delivery_date",
                    "delivery_before_ship",
                    _("The delivery date must be after the ship date."),
                )
            values[C_DELIVERY_DATE] = parcel.delivery_date.strftime("%Y/%m/%d")
        if parcel.time_slot not in TIME_SLOTS:
            check.error(
                "time_slot",
                "invalid_time_slot",
                _("配達時間帯 must be blank, 0812, 1416, 1618, 1820 or 1921."),
            )
        values[C_TIME_SLOT] = parcel.time_slot
        values[C_TO_PHONE] = check.phone("recipient_phone", "お届け先電話番号", parcel.recipient_phone)
        values[C_TO_POSTAL] = check.postal_code(
            "recipient_postal_code", "お届け先郵便番号", parcel.recipient_postal_code
        )
        address = check.text("recipient_address", "お届け先住所", parcel.recipient_address, 64, required=True)
        if address and not address.startswith(tuple(PREFECTURES)):
            check.warning(
                "recipient_address",
                "address_without_prefecture",
                _("お届け先住所 should start with the prefecture (e.g. 北海道) so B2 Cloud can split it."),
            )
        if address:
            check.address_parts("recipient_address", "お届け先住所", address, parcel.recipient_postal_code)
        values[C_TO_ADDRESS] = address
        building = parcel.recipient_building
        if building.strip() and not _DASHES.sub("", unicodedata.normalize("NFKC", building)).strip(" -"):
            # "－" or "-" typed for "no building" (common on Japanese forms): written blank, not held
            # back as a formula.
            building = ""
        values[C_TO_BUILDING] = check.text("recipient_building", "お届け先アパートマンション名", building, 32)
        values[C_TO_COMPANY] = check.text(
            "recipient_company", "お届け先会社・部門", parcel.recipient_company, 50
        )
        values[C_TO_NAME] = check.text(
            "recipient_name", "お届け先名", parcel.recipient_name, 32, required=True
        )
        values[C_TO_KANA] = check.kana(
            "recipient_name_kana", "お届け先名(ｶﾅ)", parcel.recipient_name_kana, 50
        )
        honorific = parcel.honorific.strip() or "様"
        if honorific not in HONORIFICS:
            check.error(
                "honorific",
                "invalid_honorific",
                _("敬称 must be one of %(allowed)s.") % {"allowed": "、".join(HONORIFICS)},
            )
        values[C_HONORIFIC] = honorific
        items = parcel.item_names or (account.default_item_name,)
        if len(items) > 2:
            check.error("item_names", "too_many_items", _("B2 Cloud has two 品名 fields; name at most two."))
        values[C_ITEM_1] = check.text("item_names", "品名１", items[0], 50, required=True)
        if len(items) > 1:
            values[C_ITEM_2] = check.text("item_names", "品名２", items[1], 50)
        if len(parcel.handling) > 2:
            check.error(
                "handling", "too_many_handling", _("B2 Cloud has two 荷扱い fields; give at most two.")
            )
        for column, label, text in zip(
            (C_HANDLING_1, C_HANDLING_2), ("荷扱い１", "荷扱い２"), parcel.handling, strict=False
        ):
            values[column] = check.text("handling", label, text, 20)
        return values

    def validate(
        self, parcel: ParcelData, *, account: CarrierAccount, today: date | None = None
    ) -> list[Problem]:
        check = _Checker()
        self._parcel_values(check, parcel, account, today)
        return check.problems

    # --- export -----------------------------------------------------------------------------------

    def _fixed_values(self, account: CarrierAccount) -> dict[int, str]:
        check = _Checker()
        values = self._sender_values(check, account.sender)
        problems = [p for p in check.problems + self.validate_account(account) if p.severity == "error"]
        if problems:
            raise CarrierAccountIncomplete(problems)
        values.update(
            {
                C_SLIP_TYPE: SLIP_TYPE_PREPAID,
                C_COOL: COOL_NONE,
                C_TRACKING: "",  # 伝票番号: B2 Cloud assigns it when the label is printed
                C_HOLD_AT_OFFICE: "0",
                C_LABEL_COUNT: "1",
                C_BILLING_CUSTOMER: account.billing_customer_code,
                C_BILLING_CLASS: account.billing_class_code,
                C_FREIGHT_NUMBER: account.freight_number,
            }
        )
        values.update(dict.fromkeys(C_UNUSED_FLAGS, "0"))
        return values

    def export_batch(
        self, parcels: Iterable[ParcelData], *, account: CarrierAccount, today: date | None = None
    ) -> ExportResult:
        """``today`` (Asia/Tokyo; shipping.services passes it) holds back a 出荷予定日 B2 would refuse."""
        fixed = self._fixed_values(account)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow([column.header for column in COLUMNS])
        exported: list[str] = []
        held_back: list[HeldBack] = []
        warnings: list[HeldBack] = []
        seen: set[str] = set()
        keys: set[str] = set()
        for parcel in parcels:
            check = _Checker()
            values = self._parcel_values(check, parcel, account, today)
            if parcel.reference in seen:
                check.error(
                    "reference", "duplicate_reference", _("This お客様管理番号 is already in the file.")
                )
            if has_errors(check.problems):
                held_back.append(HeldBack(parcel.reference, tuple(check.problems)))
                continue
            seen.add(parcel.reference)
            if check.problems:
                warnings.append(HeldBack(parcel.reference, tuple(check.problems)))
            row = [""] * len(COLUMNS)
            for column, value in fixed.items():
                row[column - 1] = value
            for column, value in values.items():
                row[column - 1] = value
            if parcel.count == 1:
                writer.writerow(row)
            else:
                # Several boxes: one row per box (its own お客様管理番号, one label), all under one
                # 複数口くくりキー as 発払い（複数口） (docs/shipping-b2.md, "Several boxes").
                key = _bundle_key(parcel.reference, keys)
                for box in range(1, parcel.count + 1):
                    row[C_REFERENCE - 1] = box_reference(parcel.reference, box, parcel.count)
                    row[C_SLIP_TYPE - 1] = SLIP_TYPE_PREPAID_MULTI
                    row[C_BOX_FLAG - 1] = BOX_FLAG_FRAME_AND_COUNT
                    row[C_BUNDLE_KEY - 1] = key
                    writer.writerow(row)
            exported.append(parcel.reference)
        return ExportResult(
            content=buffer.getvalue().encode("cp932"),
            media_type=self.media_type,
            filename="b2-import.csv",
            exported=tuple(exported),
            held_back=tuple(held_back),
            warnings=tuple(warnings),
        )

    # --- tracking numbers -------------------------------------------------------------------------

    def import_tracking(
        self,
        data: bytes,
        *,
        known_references: Collection[str],
        assigned_numbers: Mapping[str, str] | Collection[str],
    ) -> TrackingImportResult:
        """Match B2's issued-data CSV: column 1 is our reference, column 4 the tracking number.

        A first row whose column 1 is the header text is skipped. Numbers may carry hyphens
        (1234-5678-9012). Rows are rejected, with their line number, for: too few columns, no or an
        unknown reference, no number, a malformed number, a bad check digit, a number on two rows
        of different parcels (every such row), a reference with two different numbers (every such
        row), a repeated identical row (the repeats), and a number already stored on another
        parcel. A number already stored on the same parcel matches again (re-uploading is harmless)
        when ``assigned_numbers`` maps number → reference; a plain set of numbers counts every stored
        number as taken.
        """
        text = self._decode(data)
        try:
            rows = list(self._rows(text))
        except csv.Error as exc:
            raise TrackingFileUnreadable() from exc
        known = set(known_references)
        rejected: list[RejectedRow] = []
        candidates: list[tuple[int, str, str]] = []
        for line, fields in rows:
            reference = fields[0].strip() if fields else ""
            if len(fields) < 4:
                rejected.append(
                    RejectedRow(line, "malformed_row", _("The row has fewer than 4 columns."), reference)
                )
                continue
            raw_number = fields[3].strip()
            number = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", raw_number))
            if not reference:
                rejected.append(
                    RejectedRow(line, "missing_reference", _("Column 1 (お客様管理番号) is empty."))
                )
            elif reference not in known:
                rejected.append(
                    RejectedRow(
                        line,
                        "unknown_reference",
                        _("No parcel of this batch has this お客様管理番号."),
                        reference,
                        number,
                    )
                )
            elif not number:
                rejected.append(
                    RejectedRow(
                        line,
                        "missing_number",
                        _("Column 4 (伝票番号) is empty: no label was issued."),
                        reference,
                    )
                )
            elif not (number.isascii() and number.isdigit() and len(number) == 12):
                rejected.append(
                    RejectedRow(
                        line,
                        "malformed_number",
                        _("伝票番号 must be 12 digits (a spreadsheet may have turned it into 1.23E+11)."),
                        reference,
                        raw_number,
                    )
                )
            elif not is_valid_tracking_number(number):
                rejected.append(
                    RejectedRow(
                        line,
                        "bad_check_digit",
                        _("The check digit of this 伝票番号 is wrong (first 11 digits mod 7 ≠ last digit)."),
                        reference,
                        number,
                    )
                )
            else:
                candidates.append((line, reference, number))

        by_number: dict[str, set[str]] = defaultdict(set)
        by_reference: dict[str, set[str]] = defaultdict(set)
        for _line, reference, number in candidates:
            by_number[number].add(reference)
            by_reference[reference].add(number)
        matched: list[tuple[str, str]] = []
        done: set[tuple[str, str]] = set()
        for line, reference, number in candidates:
            if len(by_number[number]) > 1:
                rejected.append(
                    RejectedRow(
                        line,
                        "duplicate_number",
                        _("This 伝票番号 appears in the file for more than one parcel."),
                        reference,
                        number,
                    )
                )
            elif len(by_reference[reference]) > 1:
                rejected.append(
                    RejectedRow(
                        line,
                        "ambiguous_reference",
                        _("This お客様管理番号 appears in the file with different 伝票番号."),
                        reference,
                        number,
                    )
                )
            elif (reference, number) in done:
                rejected.append(
                    RejectedRow(
                        line, "duplicate_row", _("This row repeats an earlier row."), reference, number
                    )
                )
            elif _owner(assigned_numbers, number, reference) != reference:
                rejected.append(
                    RejectedRow(
                        line,
                        "number_already_assigned",
                        _("This 伝票番号 is already stored on another parcel."),
                        reference,
                        number,
                    )
                )
            else:
                done.add((reference, number))
                matched.append((reference, number))
        rejected.sort(key=lambda r: r.row)
        return TrackingImportResult(tuple(matched), tuple(rejected))

    @staticmethod
    def _decode(data: bytes) -> str:
        if b"\x00" in data:
            raise TrackingFileUnreadable()
        for encoding in ("cp932", "utf-8-sig"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise TrackingFileUnreadable()

    @staticmethod
    def _rows(text: str):
        """(line number, fields) for each non-blank row, skipping a header row."""
        reader = csv.reader(io.StringIO(text, newline=""))
        first = True
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if first and fields[0].strip().lstrip("\ufeff") == COLUMNS[0].header:
                first = False
                continue
            first = False
            yield line, fields

    def tracking_url(self, number: str) -> str | None:
        digits = re.sub(r"\D", "", number)
        if not is_valid_tracking_number(digits):
            return None
        return TRACKING_URL.format(number=digits)

    def relabel(self, parcel: ParcelData, *, exported: bool = False, tracking_number: str = "") -> VoidResult:
        if tracking_number:
            return VoidResult(
                False,
                _(
                    "Label %(number)s was issued with the old details: delete it in B2 Cloud "
                    "(発行済データの検索 → 削除), import %(reference)s from the batch's new CSV and "
                    "issue its label again."
                )
                % {"number": tracking_number, "reference": parcel.reference},
            )
        if exported:
            return VoidResult(
                False,
                _(
                    "If the batch CSV was already imported into B2 Cloud, delete %(reference)s from the "
                    "saved data there and import its row from the new CSV."
                )
                % {"reference": parcel.reference},
            )
        return VoidResult(True)

    def void(self, parcel: ParcelData, *, exported: bool = False, tracking_number: str = "") -> VoidResult:
        if tracking_number:
            return VoidResult(
                False,
                _(
                    "Label %(number)s was issued: delete it in B2 Cloud (発行済データの検索 → 削除) "
                    "and keep the box out of the hand-over."
                )
                % {"number": tracking_number},
            )
        if exported:
            return VoidResult(
                False,
                _(
                    "If the batch CSV was already imported into B2 Cloud, delete %(reference)s "
                    "from the saved data there."
                )
                % {"reference": parcel.reference},
            )
        return VoidResult(True)
