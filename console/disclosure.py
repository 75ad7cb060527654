"""The disclosure of everything the food bank holds about one person (開示請求, APPI art. 33), as
JSON and as a PDF to hand or post to them: their data, requests with their trail, parcels,
referrals, consents and withdrawals, enrolments, every record of provision to another organisation
and every recorded view of their data by staff, and the corrections made."""

import io
import json
from xml.sax.saxutils import escape

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from referrals import selectors as referral_selectors
from referrals.validation import display_phone
from shipping.fonts import register_font

from .people import PersonRecord, consent_state


def _dt(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def as_data(record: PersonRecord) -> dict:
    """The disclosure as plain data (the JSON export; the PDF prints the same sections)."""
    p = record.person
    return {
        "generated_at": timezone.now(),
        "person": {
            "id": p.pk,
            "name": p.name,
            "name_kana": p.name_kana,
            "is_pseudonym": p.is_pseudonym,
            "phone": display_phone(p.phone),
            "postal_code": p.postal_code,
            "address": " ".join(x for x in (p.prefecture + p.municipality + p.address, p.building) if x),
            "household": {
                "type": p.household_type,
                "adults": p.adults,
                "children": p.children,
                "children_ages": p.children_ages,
                "infants": p.infants,
                "elderly": p.elderly,
            },
            "registered_by": p.agency.name if p.agency else "",
            "created_at": p.created_at,
        },
        "delivery_requests": [
            {
                "reference": r.reference,
                "source": r.source,
                "agency": r.agency.name if r.agency else "",
                "status": r.status,
                "submitted_at": r.submitted_at,
                "situation": r.situation_category,
                "situation_note": r.situation_note,
                "days_needed": r.days_needed,
                "cooking": r.cooking,
                "allergies": r.allergies,
                "allergens": list(r.allergens or []),
                # What the dispatch batch did about the allergies, as stored and as the case worker
                # reads it (the PDF prints the text, one line per entry).
                "allergen_packing": [note.as_shown() for note in referral_selectors.allergen_packing(r)],
                "dietary_note": r.dietary_note,
                "extras": r.extras,
                "tracking_number": r.tracking_number,
                "events": [
                    {"at": e.at, "from": e.from_status, "to": e.to_status, "note": e.note}
                    for e in r.events.all()
                ],
            }
            for r in record.requests
        ],
        "parcels": [
            {
                "reference": x.reference,
                "status": x.status,
                "tracking_number": x.tracking_number or "",
                "created_at": x.created_at,
            }
            for x in record.parcels
        ],
        "referrals": [
            {
                "reference": r.reference,
                "to": str(r.target),
                "status": r.status,
                "sent_at": r.sent_at,
                "data_shared": r.shared_categories,
                "consent_withdrawn_at": r.consent_withdrawn_at,
            }
            for r in record.referrals
        ],
        "consents": [
            {
                "id": c.pk,
                "purpose": c.purpose,
                "decision": c.decision,
                "state": consent_state(c),
                "method": c.method,
                "witness": c.witness_name,
                "decided_at": c.decided_at,
                "recorded_by_organisation": c.recorded_by_organisation.name,
                "data_recipients": c.data_recipients,
                "data_categories": c.data_categories,
                "withdrawn_at": c.withdrawal.withdrawn_at if consent_state(c) == "withdrawn" else None,
            }
            for c in record.consents
        ],
        "enrolments": [
            {"starts_on": e.starts_on, "ends_on": e.ends_on, "active": e.active} for e in record.enrolments
        ],
        "provisions": [
            {
                "provided_at": r.provided_at,
                "provided_to": r.recipient_name,
                "data_categories": r.data_categories,
                "basis": r.basis,
                "trigger": f"{r.trigger_type} #{r.trigger_id}",
            }
            for r in record.provisions
        ],
        "views": [
            {
                "at": v.at,
                "by": v.actor.get_username() if v.actor else "",
                "role": v.actor_role,
                "action": v.action,
                "what": f"{v.object_type} #{v.object_id}",
            }
            for v in record.views
        ],
        "corrections": [
            {"at": c.at, "fields": c.fields, "reason": c.reason, "by": c.corrected_by.get_username()}
            for c in record.corrections
        ],
    }


def as_json(record: PersonRecord) -> bytes:
    return json.dumps(as_data(record), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


def _cell(value) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_cell(v)}" for k, v in value.items() if v not in ("", None, [], False))
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return _dt(value)
    return "" if value is None else str(value)


def _markup(key: str, value) -> str:
    """A table cell's paragraph markup: the allergen packing as its text, one entry a line."""
    if key == "allergen_packing":
        return "<br/>".join(escape(note["text"]) for note in value)
    return escape(_cell(value))


def as_pdf(record: PersonRecord) -> bytes:
    """An A4 PDF of the same sections, in the Japanese font the labels use."""
    font = register_font()
    body = ParagraphStyle("body", fontName=font, fontSize=8.5, leading=11, wordWrap="CJK")
    heading = ParagraphStyle("heading", parent=body, fontSize=12, leading=16, spaceBefore=8)
    title = ParagraphStyle("title", parent=body, fontSize=15, leading=20)
    data = as_data(record)
    story = [
        Paragraph(escape(_("Disclosure of personal data held (APPI art. 33)")), title),
        Paragraph(escape(_("Generated at %(at)s") % {"at": _dt(data["generated_at"])}), body),
        Spacer(1, 4 * mm),
    ]
    sections = [
        (_("Person"), [data["person"]]),
        (_("Delivery requests"), data["delivery_requests"]),
        (_("Parcels"), data["parcels"]),
        (_("Referrals"), data["referrals"]),
        (_("Consents"), data["consents"]),
        (_("Enrolments in the monthly parcel"), data["enrolments"]),
        (_("Records of provision to other organisations"), data["provisions"]),
        (_("Who viewed or changed the data"), data["views"]),
        (_("Corrections"), data["corrections"]),
    ]
    for name, rows in sections:
        story.append(Paragraph(escape(f"{name} ({len(rows)})"), heading))
        for row in rows:
            table = Table(
                [[Paragraph(escape(k), body), Paragraph(_markup(k, v), body)] for k, v in row.items()],
                colWidths=[40 * mm, 135 * mm],
            )
            table.setStyle(
                TableStyle([("GRID", (0, 0), (-1, -1), 0.25, "#999999"), ("VALIGN", (0, 0), (-1, -1), "TOP")])
            )
            story += [table, Spacer(1, 2 * mm)]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title="disclosure", leftMargin=15 * mm, rightMargin=15 * mm).build(
        story
    )
    return buffer.getvalue()
