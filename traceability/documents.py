"""Documents of traceability (docs/traceability.md): the donation receipt (寄附受領書) for a donor, and
the recall report for the authorities and the donor (PDF and CSV).

Neither names a person: a receipt names the donor (a company, or 「匿名」), a recall report counts
window handouts and lists parcels by reference with the agency to contact, never the recipient.
"""

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from inventory.lot_models import DateLabel, StorageClass
from inventory.models import DonationReceipt
from shipping.fonts import register_font

from .trace import RecallTrace, lot_summary

NO_RESALE = "転売禁止"


class _Page:
    """A4 portrait, top to bottom, a new page when the space runs out."""

    def __init__(self, title: str) -> None:
        self.font = register_font()
        self.buffer = io.BytesIO()
        self.canvas = canvas.Canvas(self.buffer, pagesize=A4, pageCompression=1)
        self.canvas.setTitle(title)
        self.width, self.height = A4
        self.y = self.height - 20 * mm

    def line(self, text: str, *, size: float = 10, x: float = 18 * mm, gap: float = 1.5) -> None:
        if self.y < 20 * mm:
            self.canvas.showPage()
            self.y = self.height - 20 * mm
        self.canvas.setFont(self.font, size)
        self.canvas.drawString(x, self.y, text)
        self.y -= size * gap

    def row(self, cells: Sequence[str], xs: Sequence[float], *, size: float = 9) -> None:
        if self.y < 20 * mm:
            self.canvas.showPage()
            self.y = self.height - 20 * mm
        self.canvas.setFont(self.font, size)
        for text, x in zip(cells, xs, strict=True):
            self.canvas.drawString(x * mm, self.y, text)
        self.y -= size * 1.5

    def space(self, points: float = 6) -> None:
        self.y -= points

    def pdf(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def _date(value: date | None) -> str:
    return value.strftime("%Y/%m/%d") if value else "—"


def _label_kind(code: str) -> str:
    return "消費期限" if code == DateLabel.USE_BY else "賞味期限"


def _storage(code: str) -> str:
    return {StorageClass.CHILLED: "冷蔵", StorageClass.FROZEN: "冷凍"}.get(code, "常温")


def donation_receipt_pdf(
    *, food_bank_name: str, donor_name: str, receipts: Sequence[DonationReceipt], period: str
) -> bytes:
    """寄附受領書: what the food bank received from one donor (one donation, or a month's): each
    accepted line with quantity, weight and its date, the total weight, and what was not accepted."""
    page = _Page("寄附受領書")
    page.line("寄附受領書", size=18, gap=2)
    page.line(f"{donor_name} 様", size=13, gap=2)
    page.line(f"対象: {period}　発行日: {_date(timezone.localdate())}")
    page.line(f"{food_bank_name} は、下記の食品のご寄附を受領しました。ありがとうございました。")
    page.line(
        f"いただいた食品は{NO_RESALE}とし、食品寄附ガイドラインに沿って衛生的に管理し、無償で提供します。"
    )
    page.space()
    xs = (18, 40, 110, 130, 150, 175)
    page.row(("受領日", "品名", "数量", "重量(kg)", "期限表示", ""), xs)
    total = Decimal(0)
    rejected = []
    for receipt in receipts:
        for line in receipt.lines.all():
            if not line.accepted:
                rejected.append((receipt, line))
                continue
            weight = (
                line.weight_kg
                if line.weight_kg is not None
                else Decimal(str(line.item.weight_kg)) * line.quantity
            )
            total += weight
            page.row(
                (
                    _date(timezone.localdate(receipt.received_at)),
                    (line.product_name or line.item.name)[:30],
                    f"{line.quantity}{line.item.unit}",
                    f"{weight:.3f}",
                    f"{_label_kind(line.date_label)} {_date(line.best_before)}",
                    _storage(line.storage),
                ),
                xs,
            )
    page.space()
    page.line(f"合計重量: {total:.3f} kg", size=11)
    if rejected:
        page.space()
        page.line("お受けできなかったもの（在庫に入れていません）", size=11)
        for receipt, line in rejected:
            page.row(
                (
                    _date(timezone.localdate(receipt.received_at)),
                    (line.product_name or line.item.name)[:30],
                    f"{line.quantity}{line.item.unit}",
                    "",
                    line.get_reject_reason_display(),
                    "",
                ),
                xs,
            )
    return page.pdf()


def recall_csv_rows(found: RecallTrace) -> list[list]:
    """One row per fact of the trace: lots, stock per site, assemblies, restocks, window handouts
    (counts), parcels (reference, agency). No recipient's name, address or phone."""
    rows: list[list] = [["section", "lot", "product", "site_or_agency", "date", "quantity", "detail"]]
    lots = found.trail.lots
    for lot in found.lots:
        s = lot_summary(lot)
        rows.append(
            [
                "lot",
                s["code"],
                s["product"],
                s["donor"],
                _date(s["best_before"]),
                "",
                f"{s['kind']} {s['allergen_labels']}",
            ]
        )
    for st in found.trail.stock:
        rows.append(
            [
                "stock",
                lots[st.lot_id].code,
                "",
                st.site_name,
                "",
                st.on_hand + st.reserved + st.quarantined,
                f"on_hand={st.on_hand} reserved={st.reserved} quarantined={st.quarantined}",
            ]
        )
    for a in found.trail.assembled:
        rows.append(
            [
                "assembly",
                lots[a.component_lot_id].code,
                a.pack_type,
                lots[a.pack_lot_id].code,
                _date(timezone.localdate(a.occurred_at)),
                a.quantity,
                f"packs={a.packs}",
            ]
        )
    for sh in found.trail.shipped:
        rows.append(
            [
                "restock",
                lots[sh.lot_id].code,
                "",
                sh.to_site_name,
                _date(timezone.localdate(sh.occurred_at)),
                sh.quantity,
                f"restock={sh.restock_id}",
            ]
        )
    for h in found.trail.handouts:
        rows.append(
            [
                "window_handouts",
                "",
                "",
                h.site_name,
                _date(h.day),
                h.sets,
                f"handouts={h.handouts} condition_not_checked={h.unchecked}",
            ]
        )
    for p in found.parcels:
        rows.append(
            [
                "parcel",
                "",
                p.reference,
                p.agency_name,
                _date(p.ship_date),
                p.quantity,
                f"status={p.status} municipality={p.municipality} agency_phone={p.agency_phone} "
                f"condition_checked={_checked(p.condition_checked)}",
            ]
        )
    return rows


def _checked(value: bool | None) -> str:
    """The condition check in the CSV: yes, no, or unknown (recorded before the check existed)."""
    return "unknown" if value is None else ("yes" if value else "no")


def recall_csv(found: RecallTrace) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(recall_csv_rows(found))
    return out.getvalue()


def recall_report_pdf(*, found: RecallTrace, title: str, food_bank_name: str) -> bytes:
    page = _Page("回収報告書")
    page.line("回収（リコール）報告書", size=16, gap=2)
    page.line(f"{food_bank_name}　作成日: {_date(timezone.localdate())}")
    page.line(title[:60])
    page.space()
    page.line(_("Lots"), size=12)
    for lot in found.lots:
        s = lot_summary(lot)
        page.line(
            f"{s['code']} {s['product']} {_label_kind(s['date_label'])} {_date(s['best_before'])} "
            f"{_storage(s['storage'])} {s['donor']} アレルゲン: {s['allergen_labels'] or 'なし'}"
            + (" 【隔離中】" if s["quarantined_at"] else ""),
            size=9,
        )
    page.space()
    page.line("残っている在庫（拠点別）", size=12)
    for st in found.trail.stock:
        code = found.trail.lots[st.lot_id].code
        page.line(
            f"{st.site_name}　{code}　在庫 {st.on_hand}・引当 {st.reserved}・隔離 {st.quarantined}", size=9
        )
    page.space()
    page.line("窓口での配布（件数のみ・匿名）", size=12)
    for h in found.trail.handouts:
        unchecked = f"（うち状態未確認 {h.unchecked}件）" if h.unchecked else ""
        page.line(f"{_date(h.day)}　{h.site_name}　{h.handouts}件{unchecked}　{h.sets}セット", size=9)
    page.space()
    page.line("配送した荷物（連絡先は依頼した機関）", size=12)
    for p in found.parcels:
        agency = f"{p.agency_name} {p.agency_phone}"
        unchecked = "　状態未確認" if p.condition_checked is False else ""
        page.line(
            f"{p.reference}　{_date(p.ship_date)}　{p.municipality}　{agency}　{p.quantity}点{unchecked}",
            size=9,
        )
    page.space()
    totals = (
        f"窓口配布 {found.trail.handout_sets}セット、荷物 {len(found.parcels)}件（{found.households}世帯）"
    )
    page.line(f"合計: {totals}", size=10)
    return page.pdf()
