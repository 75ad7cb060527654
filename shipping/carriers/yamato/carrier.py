"""The YamatoB2 carrier: validating parcels and the account, writing the batch CSV, void notes."""

import csv
import hashlib
import io
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from datetime import date, timedelta

from django.utils.translation import gettext as _

from shipping.exceptions import CarrierAccountIncomplete

from ..base import (
    REFERENCE_PATTERN,
    TIME_SLOTS,
    Carrier,
    CarrierAccount,
    ExportResult,
    HeldBack,
    ParcelData,
    Problem,
    SenderData,
    TrackingImportResult,
    VoidResult,
    box_reference,
    has_errors,
)
from . import tracking
from .addresses import PREFECTURES
from .checks import _DASHES, _Checker
from .layout import (
    BOX_FLAG_FRAME_AND_COUNT,
    C_BILLING_CLASS,
    C_BILLING_CUSTOMER,
    C_BOX_FLAG,
    C_BUNDLE_KEY,
    C_COOL,
    C_DELIVERY_DATE,
    C_FREIGHT_NUMBER,
    C_FROM_ADDRESS,
    C_FROM_BUILDING,
    C_FROM_KANA,
    C_FROM_NAME,
    C_FROM_PHONE,
    C_FROM_POSTAL,
    C_HANDLING_1,
    C_HANDLING_2,
    C_HOLD_AT_OFFICE,
    C_HONORIFIC,
    C_ITEM_1,
    C_ITEM_2,
    C_LABEL_COUNT,
    C_REFERENCE,
    C_SHIP_DATE,
    C_SLIP_TYPE,
    C_TIME_SLOT,
    C_TO_ADDRESS,
    C_TO_BUILDING,
    C_TO_COMPANY,
    C_TO_KANA,
    C_TO_NAME,
    C_TO_PHONE,
    C_TO_POSTAL,
    C_TRACKING,
    C_UNUSED_FLAGS,
    COLUMNS,
    COOL_NONE,
    HONORIFICS,
    MAX_BOXES,
    SHIP_DATE_MAX_DAYS_AHEAD,
    SLIP_TYPE_PREPAID,
    SLIP_TYPE_PREPAID_MULTI,
)
from .tracking import TRACKING_URL, is_valid_tracking_number


def _bundle_key(reference: str, used: set[str]) -> str:
    """複数口くくりキー (half-width letters and digits, 20 at most) for one parcel's boxes: the
    reference without its hyphens, or a digest when that is too long or already used in this file
    (one key must not join two households' boxes)."""
    key = re.sub(r"[^0-9A-Za-z]", "", reference)
    if len(key) > 20 or key in used:
        key = "K" + hashlib.sha1(reference.encode(), usedforsecurity=False).hexdigest()[:19].upper()
    used.add(key)
    return key


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
        """Match B2's issued-data CSV (``tracking.import_tracking`` gives the rules)."""
        return tracking.import_tracking(
            data, known_references=known_references, assigned_numbers=assigned_numbers
        )

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
