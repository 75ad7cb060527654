"""The authorisation matrix, as data: every API endpoint and page × every role, on the role's own
organisation's object, another organisation's of the same food bank, and another food bank's.

Mirrored in docs/authorization.md (section "Matrix"); walked by tests/trust/test_matrix.py, whose
completeness test fails when a route of the URL resolver has no row here.

One row per (method, route). A route is named by its URL name (``namespace:name`` for pages). A
role's answer is written in one of two ways:

* a number — the answer for the object of the role's **own** place. The other places follow from it:
  ``403`` (a forbidden action) and ``404`` (nothing of this kind in the role's scope) are the same
  everywhere; an allowed answer (2xx/3xx) becomes ``404`` on another food bank's object, and on
  another organisation's object of the same food bank for the organisation-bound roles (window
  staff, case worker), while food-bank-wide roles (coordinator, volunteer, integration) get the
  same answer there as on their own;
* a triple ``(own, sibling, foreign)`` when a row is not that regular, e.g. ``(403, 404, 404)``:
  a role that sees the object but may not do this to it, and for which another's is not there.

Whatever the role, another food bank's object must get the same answer as an id that does not
exist (the test checks that too): a refusal never reveals that an object exists.

Anonymous callers get 401 from the API and a redirect to the login page (``LOGIN``) from pages
unless the row says otherwise. Adding a route means adding one line here, e.g.::

    api("POST", "api-parcel-void", "parcel", c=200, w=403, cw=403, v=403, i=403),

then ``python -m tests.trust.matrix --write`` to regenerate the docs' table. An object kind the
world does not know yet (say ``pantry_shipment``) is one ``_make_pantry_shipment(self, place)``
method in tests/trust/world.py, made through the app's services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from .matrix_network import NETWORK

ROLES = ("coordinator", "window_staff", "case_worker", "volunteer", "integration", "network", "anonymous")
ORGANISATION_BOUND = frozenset({"window_staff", "case_worker"})
LOGIN = "login"  # a redirect to the login page

Expect = int | str | tuple


@dataclass(frozen=True)
class Row:
    method: str
    route: str
    obj: str | None  # the kind of object the path (or the body) names; None: nothing to scope
    expect: dict[str, Expect]
    page: bool = False
    kwargs: Callable | None = None  # (world, place) -> URL kwargs; default {"pk": object.pk}
    body: Callable | None = None  # (world, place) -> request body
    query: Callable | None = None  # (world, place) -> query string parameters
    listed: str | None = None  # a GET list: this kind of object must be listed only within scope
    listed_sibling: tuple = ()  # organisation-bound roles that also list the sibling's (public data)
    note: str = ""
    fmt: str = "json"

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}"

    def expected(self, role: str, place: str):
        value = self.expect[role]
        if isinstance(value, tuple):
            return value[("own", "sibling", "foreign").index(place)]
        if place == "own" or value in (401, 403, 404, 405, LOGIN):
            return value
        if place == "foreign" or role in ORGANISATION_BOUND:
            return 404
        return value


def _row(method, route, obj, *, page, c, w, cw, v, i, n=None, anon=None, **extra) -> Row:
    expect = {
        "coordinator": c,
        "window_staff": w,
        "case_worker": cw,
        "volunteer": v,
        "integration": i,
        # The network role (reports.platform) acts inside no food bank (tests/trust/matrix_network.py).
        "network": n if n is not None else NETWORK.get(f"{method} {route}", 403),
        "anonymous": anon if anon is not None else (LOGIN if page else 401),
    }
    return Row(method, route, obj, expect, page=page, **extra)


def api(method, route, obj=None, **kw) -> Row:
    return _row(method, route, obj, page=False, **kw)


def page(method, route, obj=None, **kw) -> Row:
    # An integration has no page session (token only: foodbank.auth_backends refuses it a login),
    # so on every page it is answered as an anonymous caller is.
    kw["i"] = kw.get("anon", LOGIN)
    return _row(method, route, obj, page=True, **kw)


def every(status) -> dict:
    return {"c": status, "w": status, "cw": status, "v": status, "i": status}


# --- bodies -------------------------------------------------------------------------------------


def _pk(kind):
    return lambda w, place: {"pk": w.obj(kind, place).pk}


def _site(kind):
    return lambda w, place: {"site_id": w.obj(kind, place).pk}


def _tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


def _handout_body(w, place):
    w.obj("window_stock", place)
    return {
        "site": w.obj("window", place).pk,
        "lines": [{"pack_type": "day1", "quantity": 1}],
        "household": {"size": 1, "type": "single"},
        "referral_consent": False,
        "note": "",
    }


def _adjustment_body(w, place):
    w.obj("window_stock", place)
    return {"site": w.obj("window", place).pk, "pack_type": "day1", "quantity": 1, "reason": "found"}


def _receipt_body(w, place):
    w.catalogue(place)
    return {
        "site": w.obj("warehouse", place).pk,
        "donor_type": "company",
        "donor_name": "北海食品",
        "weight_kg": "3.50",
        "lines": [{"item": "noodles", "quantity": 10}],
    }


def _donor_body(w, place):
    return {"kind": "company", "name": f"新しい寄附企業 {place}"}


def _donation_body(w, place):
    w.catalogue(place)
    return {
        "site": w.obj("warehouse", place).pk,
        "donor": w.obj("donor", place).pk,
        "lines": [{"item": "noodles", "quantity": 10, "allergens": ["wheat"]}],
    }


def _assembly_body(w, place):
    w.catalogue(place)
    return {"site": w.obj("warehouse", place).pk, "pack_type": "day1", "quantity": 1}


def _stock_take_body(w, place):
    w.obj("window_stock", place)
    best_before = (timezone.localdate() + timedelta(days=90)).isoformat()
    return {
        "site": w.obj("window", place).pk,
        "lines": [{"pack_type": "day1", "best_before": best_before, "counted": 9, "reason": "damaged"}],
    }


def _write_off_form(w, place):
    from inventory.models import Balance

    w.obj("window_stock", place)
    lot = Balance.objects.filter(site=w.obj("window", place), pack_type__isnull=False, on_hand__gt=0).first()
    return {"idempotency_key": f"wo-{place}", "lot": lot.pk if lot else 0, "quantity": 1, "reason": "damaged"}


def _count_form(w, place):
    from inventory.models import Balance

    w.obj("window_stock", place)
    lot = Balance.objects.filter(site=w.obj("window", place), pack_type__isnull=False).first()
    return {"idempotency_key": f"count-{place}", f"counted_{lot.pk if lot else 0}": "9"}


def _restock_body(w, place):
    w.catalogue(place)
    return {"site": w.obj("window", place).pk, "lines": [{"pack_type": "day3", "quantity": 4}]}


def _par_body(w, place):
    w.catalogue(place)
    return {"site": w.obj("window", place).pk, "pack_type": "day1", "par": 20}


def _delivery_request_body(w, place):
    from tests.referrals.factories import body

    return body(delivery_date=None, time_slot="")


def _navi_body(w, place):
    from tests.referrals.factories import navi_body

    return navi_body()


def _consent_body(w, place):
    request = w.obj("delivery_request", place)
    return {
        "recipient": request.recipient_id,
        "delivery_request": request.pk,
        "purpose": "phone_contact",
        "decision": "given",
    }


def _enrolment_body(w, place):
    return {
        "delivery_request": w.obj("delivery_request", place).pk,
        "starts_on": timezone.localdate().isoformat(),
    }


def _referral_body(w, place):
    return {"delivery_request": w.obj("delivery_request", place).pk}


def _item_body(w, place):
    return {"code": "tuna", "name": "ツナ缶"}


def _pack_type_body(w, place):
    return {"code": "week2", "name": "2週間分", "days": 14}


def _recipe_body(w, place):
    w.catalogue(place)
    return {"lines": [{"item": "noodles", "quantity": 2}], "note": ""}


def _tracking_body(w, place):
    from django.core.files.uploadedfile import SimpleUploadedFile

    row = "FB-NO-SUCH-PARCEL,0,,123456789013\r\n".encode("cp932")
    return {"file": SimpleUploadedFile("issued.csv", row, content_type="text/csv")}


def _delivery_status_body(w, place):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = "伝票番号,荷物状況\r\n123456789013,配達完了\r\n".encode("cp932")
    return {"file": SimpleUploadedFile("status.csv", rows, content_type="text/csv")}


def _batch_body(w, place):
    return {"ship_date": _tomorrow(), "carrier_account": w.obj("batch", place).account_id}


def _handout_form(w, place):
    w.obj("window_stock", place)
    return {
        "choice": "day1",
        "household_size": 1,
        "household_type": "single",
        "note": "",
        "idempotency_key": f"matrix-handout-{place}",
    }


def _batch_form(w, place):
    return {"ship_date": _tomorrow(), "account": w.obj("batch", place).account_id}


def _restock_form(w, place):
    w.obj("window_stock", place)
    return {"qty_day1": 3, "qty_day3": 0, "note": "", "idempotency_key": f"matrix-{place}"}


def _void_body(w, place):
    return {"reason": "rebook", "note": ""}


def _void_form(w, place):
    return {"reference": w.obj("parcel", place).reference, "reason": "rebook", "note": ""}


def _outcomes_form(w, place):
    return {"references": w.obj("parcel", place).reference, "outcome": "delivered"}


def _pantry_body(w, place):
    w.catalogue(place)
    return {
        "partner": w.obj("pantry_partner", place).pk,
        "pack_type": "day3",
        "quantity": 12,
        "contact_name": "佐藤 花子",
        "phone": "011-555-0199",
        "postal_code": "060-0001",
        "address": "北海道札幌市中央区北一条西2丁目",
    }


def _pantry_form(w, place):
    return {
        **_pantry_body(w, place),
        "pack_type": w.catalogue(place)["day3"].pk,
        "building": "",
        "note": "",
    }


def _feedback_body(w, place):
    return {"message": "ありがとうございました", "may_be_published": False}


def _feedback_form(w, place):
    return {
        "message": "ありがとうございました",
        "received_on": timezone.localdate().isoformat(),
        "publication": "private",
    }


def _contact_body(w, place):
    return {
        "name": "小樽 太郎",
        "name_kana": "オタル タロウ",
        "phone": "090-2222-3333",
        "data_categories": ["identity", "contact"],
    }


def _contact_form(w, place):
    return {
        "name": "小樽 太郎",
        "name_kana": "オタル タロウ",
        "phone": "090-2222-3333",
        "categories": ["identity", "contact"],
        "method": "verbal",
    }


def _inbox_contacted_form(w, place):
    pk = w.obj("agency_referral_acknowledged", place).pk
    return {f"c{pk}-contacted_on": timezone.localdate().isoformat(), f"c{pk}-outcome": "電話で連絡"}


def _inbox_close_form(w, place):
    pk = w.obj("agency_referral_acknowledged", place).pk
    return {f"x{pk}-outcome": "支援につながった"}


def _organisation_form(w, place):
    return {"name": "北広島市地域包括支援センター", "kind": "community_support_center", "active": "on"}


def _site_form(w, place):
    return {
        "organisation": w.places[place].agency.pk,
        "kind": "window",
        "name": "江別市生活相談窓口",
        "postal_code": "067-0031",
        "address": "元町1-1",
        "opening_hours": "平日 9:00–17:00",
        "active": "on",
    }


def _par_form(w, place):
    return {f"par_{w.catalogue(place)['day1'].pk}": 12, f"par_{w.catalogue(place)['day3'].pk}": 6}


def _invite_form(w, place):
    return {
        "full_name": "石狩 花子",
        "username": "hanako",
        "email": "hanako@example.jp",
        "role": "case_worker",
        "organisation": w.places[place].agency.pk,
    }


def _carrier_form(w, place):
    return {
        "name": "ヤマト B2 (2)",
        "carrier": "yamato",
        "sender_name": "SK物流センター",
        "default_item_name": "食品",
        "pickup_weekdays": "01234",
        "takes_requests": "on",
        "active": "on",
    }


def _recipe_form(w, place):
    c = w.catalogue(place)
    return {f"item_{c['noodles'].pk}": 2, f"item_{c['rice'].pk}": 3, "note": ""}


def _dispatch_rule_form(w, place):
    c = w.catalogue(place)
    return {
        **{f"days_{c[code].pk}": days for code, days in (("day1", 1), ("day3", 3), ("home", 21))},
        **{f"box_{c[code].pk}": 2 for code in ("day1", "day3", "home")},
    }


def _correction_form(w, place):
    return {
        "name": "山田 花子",
        "phone": "080-9999-0000",
        "postal_code": "047-0024",
        "reason": "本人の申し出",
    }


def _doc(kind):
    return lambda w, place: {"pk": w.obj("batch", place).pk, "kind": kind}


# --- the matrix ------------------------------------------------------------------------------------

CW = "case_worker"


def _webhook_body(w, place):
    return {
        "url": f"https://receiver.example.org/{place}",
        "events": ["delivery_request.approved"],
        "agency": w.places[place].agency.pk,
    }


def _hsds(kind):
    """An HSDS id of the own place's food bank (organization) or window (service)."""

    def kwargs(w, place):
        from directory.hsds import hsds_id

        p = w.places[place]
        return {"pk": hsds_id(kind, p.food_bank.pk if kind == "organization" else p.window.pk)}

    return kwargs


def _delivery_kwargs(w, place):
    delivery = w.obj("webhook_delivery", place)
    return {"pk": delivery.endpoint_id, "delivery_pk": delivery.pk}


NOBODY_BUT_C = {"w": 403, "cw": 403, "v": 403, "i": 403}
# Pages: an integration has no page session (no password login), so it meets the login page.
PAGE_NOBODY_BUT_C = {"w": 403, "cw": 403, "v": 403, "i": LOGIN}
# Sees the object (lookup on its scoped queryset first) but may not do this to it: 403 on its own,
# 404 on what it does not see.
SEEN_NOT_ALLOWED = (403, 404, 404)
SEEN_NOT_ALLOWED_FB = {
    "w": (403, 403, 404),
    "cw": (403, 403, 404),
    "v": (403, 403, 404),
    "i": (403, 403, 404),
}
# The food bank's reference data: the same for every organisation of the food bank.
SAME_FB = (200, 200, 404)

ROWS: list[Row] = [
    # Shared core
    api(
        "POST",
        "api-token",
        c=400,
        w=400,
        cw=400,
        v=400,
        i=400,
        anon=400,
        note="it is the login: any caller; no credentials in the body → 400",
    ),
    api("GET", "api-me", **every(200)),
    api("GET", "api-sites", listed="window", listed_sibling=(CW,), **every(200)),
    api("GET", "api-site-detail", "window", c=200, w=200, cw=(200, 200, 404), v=404, i=404),
    # Inventory: reference data
    api("GET", "api-items", **every(200)),
    api("POST", "api-items", c=201, body=_item_body, **NOBODY_BUT_C),
    api("GET", "api-pack-types", **every(200)),
    api("POST", "api-pack-types", c=201, body=_pack_type_body, **NOBODY_BUT_C),
    api(
        "GET",
        "api-pack-type-detail",
        "pack_type",
        c=200,
        w=SAME_FB,
        cw=SAME_FB,
        v=200,
        i=200,
        note="pack types are the food bank's reference data: every role of it reads them",
    ),
    api("POST", "api-pack-type-recipes", "pack_type", c=201, body=_recipe_body, **SEEN_NOT_ALLOWED_FB),
    # Inventory: stock
    api("GET", "api-site-stock", "window", c=200, w=200, cw=404, v=404, i=404),
    api("GET", "api-site-item-stock", "window", c=200, w=200, cw=404, v=404, i=404),
    api("GET", "api-stock-movements", listed="movement", c=200, w=200, cw=200, v=200, i=200),
    api(
        "POST",
        "api-stock-movement-reverse",
        "movement",
        c=201,
        w=SEEN_NOT_ALLOWED,
        cw=404,
        v=404,
        i=404,
        body=lambda w, p: {"reason": "entry_error"},
    ),
    api("POST", "api-stock-adjustments", "window", c=201, w=201, cw=404, v=404, i=404, body=_adjustment_body),
    api("GET", "api-handouts", listed="handout", c=200, w=200, cw=200, v=200, i=200),
    api("POST", "api-handouts", "window", c=403, w=201, cw=403, v=403, i=403, body=_handout_body),
    api("GET", "api-handout-detail", "handout", c=200, w=200, cw=404, v=404, i=404),
    api("POST", "api-handout-void", "handout", c=200, w=200, cw=404, v=404, i=404, body=lambda w, p: {}),
    api("GET", "api-donation-receipts", **every(200)),
    api("POST", "api-donation-receipts", "warehouse", c=201, w=404, cw=404, v=201, i=404, body=_receipt_body),
    api("POST", "api-assemblies", "warehouse", c=201, w=404, cw=404, v=201, i=404, body=_assembly_body),
    api("GET", "api-stock-takes", listed="stock_take", **every(200)),
    api("POST", "api-stock-takes", "window", c=201, w=201, cw=404, v=404, i=404, body=_stock_take_body),
    api("GET", "api-stock-take-detail", "stock_take", c=200, w=200, cw=404, v=404, i=404),
    api("POST", "api-stock-take-confirm", "stock_take", c=200, w=200, cw=404, v=404, i=404),
    api("GET", "api-restock-shipments", listed="restock", **every(200)),
    api("POST", "api-restock-shipments", "window", c=201, w=201, cw=404, v=404, i=404, body=_restock_body),
    api("GET", "api-restock-detail", "restock", c=200, w=200, cw=404, v=200, i=404),
    api(
        "POST",
        "api-restock-approve",
        "restock",
        c=200,
        w=SEEN_NOT_ALLOWED,
        cw=404,
        v=(403, 403, 404),
        i=404,
        body=lambda w, p: {},
    ),
    api("POST", "api-restock-cancel", "restock", c=200, w=200, cw=404, v=(403, 403, 404), i=404),
    api("POST", "api-restock-packed", "restock_approved", c=200, w=SEEN_NOT_ALLOWED, cw=404, v=200, i=404),
    api("POST", "api-restock-receive", "restock_packed", c=200, w=200, cw=404, v=(403, 403, 404), i=404),
    api("GET", "api-par-levels", **every(200)),
    api("POST", "api-par-levels", "window", c=201, w=SEEN_NOT_ALLOWED, cw=404, v=404, i=404, body=_par_body),
    # Referrals
    api("GET", "api-delivery-requests", listed="delivery_request", c=200, w=403, cw=200, v=403, i=403),
    api("POST", "api-delivery-requests", c=403, w=403, cw=201, v=403, i=403, body=_delivery_request_body),
    api("GET", "api-delivery-request-detail", "delivery_request", c=200, w=403, cw=200, v=403, i=403),
    api(
        "PATCH",
        "api-delivery-request-detail",
        "delivery_request",
        c=200,
        w=403,
        cw=200,
        v=403,
        i=403,
        body=lambda w, p: {"time_slot": "1820"},
        note="a correction: the filing agency until approved, coordinators until packed (then 409)",
    ),
    api("GET", "api-delivery-request-changes", c=200, w=403, cw=200, v=403, i=403),
    # Webhooks (docs/webhooks.md): the agency's case workers manage its endpoints, coordinators the
    # food bank's.
    api("GET", "api-webhook-endpoints", listed="webhook_endpoint", c=200, w=403, cw=200, v=403, i=403),
    api("POST", "api-webhook-endpoints", c=201, w=403, cw=201, v=403, i=403, body=_webhook_body),
    api("GET", "api-webhook-endpoint-detail", "webhook_endpoint", c=200, w=403, cw=200, v=403, i=403),
    api(
        "PATCH",
        "api-webhook-endpoint-detail",
        "webhook_endpoint",
        c=200,
        w=403,
        cw=200,
        v=403,
        i=403,
        body=lambda w, p: {"events": ["delivery_request.shipped"]},
    ),
    api("DELETE", "api-webhook-endpoint-detail", "webhook_endpoint", c=204, w=403, cw=204, v=403, i=403),
    api("POST", "api-webhook-endpoint-rotate", "webhook_endpoint", c=200, w=403, cw=200, v=403, i=403),
    api("GET", "api-webhook-deliveries", "webhook_endpoint", c=200, w=403, cw=200, v=403, i=403),
    api(
        "POST",
        "api-webhook-delivery-resend",
        "webhook_delivery",
        c=202,
        w=403,
        cw=202,
        v=403,
        i=403,
        kwargs=_delivery_kwargs,
    ),
    api(
        "POST",
        "api-delivery-request-approve",
        "delivery_request",
        c=200,
        **NOBODY_BUT_C,
        body=lambda w, p: {},
    ),
    api(
        "POST",
        "api-delivery-request-decline",
        "delivery_request",
        c=200,
        **NOBODY_BUT_C,
        body=lambda w, p: {"reason": "対象外"},
    ),
    api(
        "POST",
        "api-delivery-request-cancel",
        "delivery_request",
        c=200,
        w=403,
        cw=200,
        v=403,
        i=403,
        body=lambda w, p: {},
    ),
    api("POST", "api-navi-intake", c=403, w=403, cw=403, v=403, i=201, body=_navi_body),
    api("GET", "api-consents", listed="consent", c=200, w=403, cw=200, v=403, i=403),
    api("POST", "api-consents", "delivery_request", c=201, w=403, cw=201, v=403, i=403, body=_consent_body),
    api("GET", "api-consent-detail", "consent", c=200, w=403, cw=200, v=403, i=403),
    api("POST", "api-consent-withdraw", "consent", c=200, w=403, cw=200, v=403, i=403, body=lambda w, p: {}),
    api("GET", "api-enrolments", listed="enrolment", c=200, w=403, cw=200, v=403, i=403),
    api(
        "POST", "api-enrolments", "delivery_request", c=201, w=403, cw=201, v=403, i=403, body=_enrolment_body
    ),
    api(
        "POST",
        "api-enrolment-end",
        "enrolment",
        c=200,
        w=403,
        cw=200,
        v=403,
        i=403,
        body=lambda w, p: {"last_month": timezone.localdate().isoformat()},
    ),
    api("GET", "api-referrals", listed="referral", c=200, w=200, cw=200, v=403, i=403),
    api(
        "POST",
        "api-referrals",
        "delivery_request",
        c=(201, 201, 400),
        **NOBODY_BUT_C,
        body=_referral_body,
        note="the request is named in the body: another food bank's is 400 'No such delivery request.', "
        "as an id that does not exist",
    ),
    api("GET", "api-feedback", c=200, **NOBODY_BUT_C),
    api("POST", "api-feedback", c=201, **NOBODY_BUT_C, body=_feedback_body),
    api(
        "POST",
        "api-handout-referral-contact",
        "consenting_handout",
        c=403,
        w=201,
        cw=403,
        v=403,
        i=403,
        body=_contact_body,
        note="window staff of the handout's window, after a handout with referral consent",
    ),
    api("GET", "api-referral-detail", "referral", c=200, w=200, cw=404, v=403, i=403),
    api("POST", "api-referral-acknowledge", "referral", c=200, w=200, cw=404, v=403, i=403),
    api(
        "POST",
        "api-referral-contacted",
        "referral_acknowledged",
        c=200,
        w=200,
        cw=404,
        v=403,
        i=403,
        body=lambda w, p: {"date": timezone.localdate().isoformat(), "outcome": "電話で連絡"},
    ),
    api(
        "POST",
        "api-referral-close",
        "referral_acknowledged",
        c=200,
        w=200,
        cw=404,
        v=403,
        i=403,
        body=lambda w, p: {"outcome": "支援につながった"},
    ),
    # Shipping
    api("GET", "api-dispatch-batches", listed="batch", c=200, w=403, cw=403, v=200, i=403),
    api("POST", "api-dispatch-batches", c=202, **NOBODY_BUT_C, body=_batch_body),
    # (the carrier account named in the body: another food bank's is refused like an unknown one)
    api("GET", "api-dispatch-batch-detail", "batch", c=200, w=403, cw=403, v=200, i=403),
    api("GET", "api-batch-document", "batch", c=200, w=403, cw=403, v=200, i=403, kwargs=_doc("pick_list")),
    api(
        "POST",
        "api-tracking-import",
        "batch",
        c=200,
        w=403,
        cw=403,
        v=(403, 403, 404),
        i=403,
        body=_tracking_body,
        fmt="multipart",
    ),
    api(
        "POST",
        "api-delivery-status-import",
        "batch",
        c=200,
        w=403,
        cw=403,
        v=(403, 403, 404),
        i=403,
        body=_delivery_status_body,
        fmt="multipart",
    ),
    api("GET", "api-parcels", listed="parcel", c=200, w=403, cw=403, v=200, i=403),
    api("GET", "api-parcel-detail", "parcel", c=200, w=403, cw=403, v=200, i=403),
    api("POST", "api-parcel-packed", "parcel", c=200, w=403, cw=403, v=200, i=403),
    api("POST", "api-parcel-void", "parcel", c=200, **NOBODY_BUT_C, body=_void_body),
    api("POST", "api-parcel-delivered", "parcel_handed_over", c=200, **NOBODY_BUT_C),
    api("POST", "api-parcel-returned", "parcel_handed_over", c=200, **NOBODY_BUT_C),
    api("POST", "api-batch-handed-over", "batch_ready", c=200, **NOBODY_BUT_C),
    api("GET", "api-pantry-shipments", listed="pantry_shipment", c=200, **NOBODY_BUT_C),
    api(
        "POST",
        "api-pantry-shipments",
        "pantry_partner",
        c=(201, 201, 400),
        **NOBODY_BUT_C,
        body=_pantry_body,
        note="the partner group is named in the body: another food bank's is 400 'partner', "
        "as an id that does not exist",
    ),
    api("GET", "api-pantry-shipment-detail", "pantry_shipment", c=200, **NOBODY_BUT_C),
    # Traceability (docs/traceability.md)
    api("GET", "api-donors", c=200, w=403, cw=403, v=200, i=403),
    api("POST", "api-donors", c=201, **NOBODY_BUT_C, body=_donor_body),
    api("GET", "api-donor-detail", "donor", c=200, w=404, cw=404, v=(403, 403, 404), i=404),
    api(
        "PATCH",
        "api-donor-detail",
        "donor",
        c=200,
        w=404,
        cw=404,
        v=(403, 403, 404),
        i=404,
        body=lambda w, p: {"phone": "011-000-1111"},
    ),
    api("GET", "api-donations", c=200, w=403, cw=403, v=200, i=403),
    api("POST", "api-donations", "warehouse", c=201, w=403, cw=403, v=201, i=403, body=_donation_body),
    api("GET", "api-donation-detail", "donation", c=200, w=404, cw=404, v=200, i=404),
    api("GET", "api-donation-receipt-pdf", "donation", c=200, **NOBODY_BUT_C),
    api(
        "GET",
        "api-donor-receipt-pdf",
        "donor",
        c=200,
        **NOBODY_BUT_C,
        query=lambda w, p: {"month": timezone.localdate().strftime("%Y-%m")},
    ),
    api("GET", "api-recalls", c=200, **NOBODY_BUT_C),
    api("GET", "api-incidents", c=200, **NOBODY_BUT_C),
    api(
        "POST",
        "api-incidents",
        "lot",
        c=(201, 201, 400),
        **NOBODY_BUT_C,
        body=lambda w, p: {
            "kind": "damage",
            "occurred_on": "2026-11-30",
            "description": "箱の破損",
            "lots": [w.obj("lot", p).pk],
        },
        kwargs=lambda w, p: {},
        note="the lot is named in the body: another food bank's is 400 'lots'",
    ),
    api(
        "POST",
        "api-recalls",
        "lot",
        c=(201, 201, 400),
        **NOBODY_BUT_C,
        body=lambda w, p: {"lot": w.obj("lot", p).pk, "reason": "回収"},
        kwargs=lambda w, p: {},
        note="the lot is named in the body: another food bank's is 400 'lot', as an id that does not exist",
    ),
    api(
        "GET",
        "api-recall-trace",
        "lot",
        c=(200, 200, 400),
        **NOBODY_BUT_C,
        query=lambda w, p: {"lot": w.obj("lot", p).pk},
        kwargs=lambda w, p: {},
        note="the lot is named in the query: another food bank's is 400 'lot'",
    ),
    api("GET", "api-recall-detail", "recall", c=200, **NOBODY_BUT_C),
    api("GET", "api-recall-report-pdf", "recall", c=200, **NOBODY_BUT_C),
    api("GET", "api-recall-report-csv", "recall", c=200, **NOBODY_BUT_C),
    # Reports
    api("GET", "api-report-monthly", c=200, **NOBODY_BUT_C),
    api("GET", "api-report-breakdowns", c=200, **NOBODY_BUT_C),
    api("GET", "api-report-csv", c=200, **NOBODY_BUT_C),
    api("GET", "api-report-xlsx", c=200, **NOBODY_BUT_C),
]

PAGES: list[Row] = [
    page("GET", "home", **every(200)),
    page("GET", "healthz", **every(200), anon=200),
    page("GET", "login", **every(302), anon=200, note="a signed-in user is sent on to the start page"),
    page(
        "POST",
        "login",
        **every(302),
        anon=200,
        body=lambda w, p: {"username": "nobody", "password": "x"},
        note="the login form: signed-in users are sent on; a wrong password shows the form again",
    ),
    page("POST", "logout", **every(LOGIN), anon=LOGIN),
    page("GET", "audit-log", c=200, **PAGE_NOBODY_BUT_C),
    page("GET", "audit-log-export", c=200, **PAGE_NOBODY_BUT_C, query=lambda w, p: {"subject": 1}),
    page("GET", "provision-records", c=200, **PAGE_NOBODY_BUT_C),
    page("GET", "inventory:window", "window", c=200, w=200, cw=404, v=404, kwargs=_site("window")),
    page(
        "GET",
        "inventory:window-history",
        "window",
        c=200,
        w=200,
        cw=404,
        v=404,
        kwargs=_site("window"),
        note="every handout of the window, paged",
    ),
    page("GET", "inventory:window-stock", "window", c=200, w=200, cw=404, v=404, kwargs=_site("window")),
    page(
        "POST",
        "inventory:window-write-off",
        "window",
        c=404,
        w=302,
        cw=404,
        v=404,
        kwargs=_site("window"),
        body=_write_off_form,
        note="the window's own staff only",
    ),
    page(
        "POST",
        "inventory:window-count",
        "window",
        c=404,
        w=302,
        cw=404,
        v=404,
        kwargs=_site("window"),
        body=_count_form,
        note="the window's own staff only; confirmed by another person",
    ),
    page(
        "POST",
        "inventory:window-count-confirm",
        "stock_take",
        c=404,
        w=302,
        cw=404,
        v=404,
        kwargs=lambda w, p: {"site_id": w.obj("window", p).pk, "pk": w.obj("stock_take", p).pk},
        note="another staff member of the window confirms; the counter may not (403 same_person)",
    ),
    page(
        "GET",
        "inventory:service-worker",
        **every(200),
        anon=200,
        note="the window pages' service worker: code and cache names, no data (docs/window-offline.md)",
    ),
    page(
        "GET",
        "inventory:manifest",
        **every(200),
        anon=200,
        note="the web app manifest: name and icons, no data",
    ),
    page(
        "POST",
        "inventory:window",
        "window",
        c=(403, 403, 404),
        w=302,
        cw=404,
        v=404,
        kwargs=_site("window"),
        body=_handout_form,
        note="the handout form: the window's own staff; coordinators read the page only",
    ),
    page(
        "POST",
        "inventory:window-restock",
        "window",
        c=404,
        w=302,
        cw=404,
        v=404,
        kwargs=_site("window"),
        body=_restock_form,
        note="the window's own staff only; coordinators use the API or the overview",
    ),
    page(
        "POST",
        "inventory:window-receive",
        "restock_packed",
        c=302,
        w=302,
        cw=404,
        v=404,
        kwargs=lambda w, p: {"site_id": w.obj("window", p).pk, "pk": w.obj("restock_packed", p).pk},
    ),
    page(
        "POST",
        "inventory:window-void",
        "handout",
        c=404,
        w=302,
        cw=404,
        v=404,
        kwargs=lambda w, p: {"site_id": w.obj("window", p).pk, "pk": w.obj("handout", p).pk},
    ),
    page("GET", "inventory:overview", c=200, **PAGE_NOBODY_BUT_C),
    page(
        "POST",
        "inventory:restock-approve",
        "restock",
        c=302,
        w=SEEN_NOT_ALLOWED,
        cw=404,
        v=(403, 403, 404),
    ),
    page(
        "POST",
        "inventory:restock-cancel",
        "restock",
        c=302,
        w=SEEN_NOT_ALLOWED,
        cw=404,
        v=(403, 403, 404),
    ),
    page("GET", "webhooks:endpoints", c=200, w=403, cw=200, v=403),
    page(
        "POST",
        "webhooks:endpoints",
        c=400,
        w=403,
        cw=400,
        v=403,
        note="posted empty, the form comes back with its errors (400)",
    ),
    page("GET", "webhooks:endpoint", "webhook_endpoint", c=200, w=403, cw=200, v=403),
    page(
        "POST",
        "webhooks:rotate",
        "webhook_endpoint",
        c=200,
        w=403,
        cw=200,
        v=403,
        note="the page shows the new secret once",
    ),
    page("POST", "webhooks:revoke", "webhook_endpoint", c=302, w=403, cw=302, v=403),
    page(
        "POST",
        "webhooks:resend",
        "webhook_delivery",
        c=302,
        w=403,
        cw=302,
        v=403,
        kwargs=_delivery_kwargs,
    ),
    page("GET", "referrals:request-list", c=200, w=403, cw=200, v=403),
    page("GET", "referrals:request-new", c=403, w=403, cw=200, v=403),
    page(
        "POST",
        "referrals:request-new",
        c=403,
        w=403,
        cw=400,
        v=403,
        note="the web form; posted empty, a case worker gets it back with its errors (400)",
    ),
    page("GET", "referrals:request-detail", "delivery_request", c=200, w=403, cw=200, v=403),
    page("POST", "referrals:request-cancel", "delivery_request", c=302, w=403, cw=302, v=403),
    page("GET", "referrals:request-correct", "delivery_request", c=200, w=403, cw=200, v=403),
    page(
        "POST",
        "referrals:request-correct",
        "delivery_request",
        c=400,
        w=403,
        cw=400,
        v=403,
        note="the correction form; posted empty, it comes back with its errors (400)",
    ),
    page("GET", "referrals:triage", c=200, **PAGE_NOBODY_BUT_C),
    page("POST", "referrals:triage-approve", "delivery_request", c=302, **PAGE_NOBODY_BUT_C),
    page(
        "POST",
        "referrals:triage-decline",
        "delivery_request",
        c=302,
        **PAGE_NOBODY_BUT_C,
        body=lambda w, p: {"reason": "対象外"},
    ),
    page("GET", "referrals:feedback-export", c=200, **PAGE_NOBODY_BUT_C),
    page("GET", "referrals:feedback", c=200, **PAGE_NOBODY_BUT_C),
    page("POST", "referrals:feedback", c=302, **PAGE_NOBODY_BUT_C, body=_feedback_form),
    page("GET", "referrals:referral-list", c=200, **PAGE_NOBODY_BUT_C),
    page(
        "POST",
        "referrals:refer-request",
        "delivery_request",
        c=302,
        **PAGE_NOBODY_BUT_C,
        body=lambda w, p: {"needs": ""},
    ),
    page("POST", "referrals:refer-handout-contact", "handout_contact", c=302, **PAGE_NOBODY_BUT_C),
    page("GET", "referrals:inbox", c=403, w=200, cw=200, v=403),
    page(
        "POST",
        "referrals:inbox-acknowledge",
        "agency_referral",
        c=403,
        w=302,
        cw=302,
        v=403,
        note="the inbox of the referral's target: here an agency, so its case workers and the staff "
        "of its windows",
    ),
    page(
        "POST",
        "referrals:inbox-contacted",
        "agency_referral_acknowledged",
        c=403,
        w=302,
        cw=302,
        v=403,
        body=_inbox_contacted_form,
    ),
    page(
        "POST",
        "referrals:inbox-close",
        "agency_referral_acknowledged",
        c=403,
        w=302,
        cw=302,
        v=403,
        body=_inbox_close_form,
    ),
    page("GET", "referrals:handout-contact", "consenting_handout", c=403, w=200, cw=403, v=403),
    page(
        "POST",
        "referrals:handout-contact",
        "consenting_handout",
        c=403,
        w=302,
        cw=403,
        v=403,
        body=_contact_form,
    ),
    page("GET", "reports:report", c=200, **PAGE_NOBODY_BUT_C),
    page("GET", "traceability:intake", c=200, w=403, cw=403, v=200),
    page(
        "POST",
        "traceability:intake",
        c=200,
        w=403,
        cw=403,
        v=200,
        note="an empty form is shown again",
    ),
    page("GET", "traceability:donors", c=200, **PAGE_NOBODY_BUT_C),
    page("POST", "traceability:donors", c=302, **PAGE_NOBODY_BUT_C, body=_donor_body),
    page("GET", "traceability:recall", c=200, **PAGE_NOBODY_BUT_C),
    page(
        "POST",
        "traceability:recall",
        c=200,
        **PAGE_NOBODY_BUT_C,
        note="without a trace query nothing is quarantined",
    ),
    page("GET", "traceability:recall-detail", "recall", c=200, **PAGE_NOBODY_BUT_C),
    page("GET", "reports:open-windows-csv", **every(200), anon=200),
    page("GET", "reports:open-windows-schema", **every(200), anon=200),
    # The HSDS directory (docs/directory.md): public, read-only.
    page("GET", "directory:root", **every(200), anon=200),
    page("GET", "directory:organizations", **every(200), anon=200),
    # Public: every food bank's answer is the same for everyone, so a triple for each role.
    page(
        "GET",
        "directory:organization",
        "window",
        **every((200, 200, 200)),
        anon=(200, 200, 200),
        kwargs=_hsds("organization"),
    ),
    page("GET", "directory:services", **every(200), anon=200),
    page(
        "GET",
        "directory:service",
        "window",
        **every((200, 200, 200)),
        anon=(200, 200, 200),
        kwargs=_hsds("service"),
    ),
    page("GET", "directory:service-at-locations", **every(200), anon=200),
    page("GET", "shipping:batches", c=200, w=403, cw=403, v=200),
    page("POST", "shipping:batches", c=302, **PAGE_NOBODY_BUT_C, body=_batch_form),
    page(
        "POST",
        "shipping:batch",
        "batch",
        c=200,
        w=403,
        cw=403,
        v=(403, 403, 404),
        body=_tracking_body,
        note="the tracking-number upload on the batch page: coordinators",
    ),
    page("GET", "shipping:batch", "batch", c=200, w=403, cw=403, v=200),
    page("GET", "shipping:batch-status", "batch", c=200, w=403, cw=403, v=200),
    page("GET", "shipping:station", "batch", c=200, w=403, cw=403, v=200),
    page(
        "POST",
        "shipping:station-pack",
        "parcel",
        c=302,
        w=403,
        cw=403,
        v=302,
        kwargs=lambda w, p: {"pk": w.obj("batch", p).pk, "parcel_id": w.obj("parcel", p).pk},
    ),
    page("POST", "shipping:batch-void", "batch", c=302, **PAGE_NOBODY_BUT_C, body=_void_form),
    page("POST", "shipping:batch-handed-over", "batch_ready", c=302, **PAGE_NOBODY_BUT_C),
    page("POST", "shipping:batch-outcomes", "batch", c=302, **PAGE_NOBODY_BUT_C, body=_outcomes_form),
    page(
        "POST",
        "shipping:batch-delivery-status",
        "batch",
        c=200,
        **PAGE_NOBODY_BUT_C,
        body=_delivery_status_body,
        note="the courier's delivery-status upload on the batch page: coordinators",
    ),
    page("GET", "shipping:pantry", c=200, **PAGE_NOBODY_BUT_C),
    page(
        "POST",
        "shipping:pantry",
        "pantry_partner",
        c=(302, 302, 400),
        **PAGE_NOBODY_BUT_C,
        body=_pantry_form,
        note="the partner group is chosen in the form: another food bank's is not a choice (400)",
    ),
    # The coordinators' console (docs/console.md)
    page("GET", "console:index", c=200, **PAGE_NOBODY_BUT_C),
    page("GET", "console:organisations", c=200, **PAGE_NOBODY_BUT_C),
    page("GET", "console:organisation-new", c=200, **PAGE_NOBODY_BUT_C),
    page("POST", "console:organisation-new", c=302, **PAGE_NOBODY_BUT_C, body=_organisation_form),
    page("GET", "console:organisation", "organisation", c=200, **PAGE_NOBODY_BUT_C),
    page("POST", "console:organisation", "organisation", c=302, **PAGE_NOBODY_BUT_C, body=_organisation_form),
    page("GET", "console:sites", c=200, **PAGE_NOBODY_BUT_C),
    page("GET", "console:site-new", c=200, **PAGE_NOBODY_BUT_C),
    page("POST", "console:site-new", c=302, **PAGE_NOBODY_BUT_C, body=_site_form),
    page("GET", "console:site", "window", c=200, **PAGE_NOBODY_BUT_C),
    page("POST", "console:site", "window", c=302, **PAGE_NOBODY_BUT_C, body=_site_form),
    page("POST", "console:site-par-levels", "window", c=302, **PAGE_NOBODY_BUT_C, body=_par_form),
    page("GET", "console:postal-lookup", c=200, **PAGE_NOBODY_BUT_C, query=lambda w, p: {"code": "060-0001"}),
    page("GET", "console:staff", c=200, **PAGE_NOBODY_BUT_C),
    page("GET", "console:staff-invite", c=200, **PAGE_NOBODY_BUT_C),
    page("POST", "console:staff-invite", c=302, **PAGE_NOBODY_BUT_C, body=_invite_form),
    page("GET", "console:integration-new", c=200, **PAGE_NOBODY_BUT_C),
    page(
        "POST",
        "console:integration-new",
        c=302,
        **PAGE_NOBODY_BUT_C,
        body=lambda w, p: {"username": "navi-2", "full_name": "Navi"},
    ),
    page("GET", "console:staff-member", "staff", c=200, **PAGE_NOBODY_BUT_C),
    page(
        "POST",
        "console:staff-add-role",
        "staff",
        c=302,
        **PAGE_NOBODY_BUT_C,
        body=lambda w, p: {"role": "case_worker", "organisation": w.places[p].agency.pk},
    ),
    page("POST", "console:staff-deactivate", "staff", c=302, **PAGE_NOBODY_BUT_C),
    page("POST", "console:staff-resend", "staff", c=302, **PAGE_NOBODY_BUT_C),
    page(
        "POST",
        "console:token-issue",
        "system_account",
        c=201,
        **PAGE_NOBODY_BUT_C,
        body=lambda w, p: {"name": "agency system", "expires_days": 30},
        note="answers the key once, on this page (201)",
    ),
    page("POST", "console:token-revoke", "token", c=302, **PAGE_NOBODY_BUT_C),
    page("GET", "console:carriers", c=200, **PAGE_NOBODY_BUT_C),
    page("GET", "console:carrier-new", c=200, **PAGE_NOBODY_BUT_C),
    page("POST", "console:carrier-new", c=302, **PAGE_NOBODY_BUT_C, body=_carrier_form),
    page("GET", "console:carrier", "carrier_account", c=200, **PAGE_NOBODY_BUT_C),
    page("POST", "console:carrier", "carrier_account", c=302, **PAGE_NOBODY_BUT_C, body=_carrier_form),
    page("GET", "console:pack-types", c=200, **PAGE_NOBODY_BUT_C),
    page("GET", "console:pack-type-new", c=200, **PAGE_NOBODY_BUT_C),
    page(
        "POST",
        "console:pack-type-new",
        c=302,
        **PAGE_NOBODY_BUT_C,
        body=lambda w, p: {"code": "week2", "name": "2週間分", "days": 14, "sort_order": 9, "active": "on"},
    ),
    page("GET", "console:pack-type", "pack_type", c=200, **PAGE_NOBODY_BUT_C),
    page(
        "POST",
        "console:pack-type",
        "pack_type",
        c=302,
        **PAGE_NOBODY_BUT_C,
        body=lambda w, p: {"name": "1日分", "days": 1, "sort_order": 1, "active": "on"},
    ),
    page("POST", "console:pack-type-recipe", "pack_type", c=302, **PAGE_NOBODY_BUT_C, body=_recipe_form),
    page("GET", "console:dispatch-rule", c=200, **PAGE_NOBODY_BUT_C),
    page("POST", "console:dispatch-rule", c=302, **PAGE_NOBODY_BUT_C, body=_dispatch_rule_form),
    page("GET", "console:people", c=200, **PAGE_NOBODY_BUT_C),
    page(
        "POST",
        "console:people",
        c=200,
        **PAGE_NOBODY_BUT_C,
        body=lambda w, p: {"kind": "phone", "term": "090-1234-5678"},
        note="the search is a POST: a phone number or name never goes into a URL",
    ),
    page("GET", "console:person", "person", c=200, **PAGE_NOBODY_BUT_C),
    page("GET", "console:person-export-json", "person", c=200, **PAGE_NOBODY_BUT_C),
    page("GET", "console:person-export-pdf", "person", c=200, **PAGE_NOBODY_BUT_C),
    page(
        "POST",
        "console:person-consent",
        "person",
        c=302,
        **PAGE_NOBODY_BUT_C,
        body=lambda w, p: {
            "decision-purpose": "phone_contact",
            "decision-decision": "refused",
            "decision-method": "signed_form",
        },
    ),
    page("GET", "console:person-correct", "person", c=200, **PAGE_NOBODY_BUT_C),
    page("POST", "console:person-correct", "person", c=302, **PAGE_NOBODY_BUT_C, body=_correction_form),
    page(
        "POST",
        "console:consent-withdraw",
        "consent",
        c=302,
        **PAGE_NOBODY_BUT_C,
        body=lambda w, p: {
            f"w{w.obj('consent', p).pk}-method": "verbal",
            f"w{w.obj('consent', p).pk}-witness": "佐藤 一郎",
        },
    ),
    page("GET", "console:duplicates", c=200, **PAGE_NOBODY_BUT_C),
    page(
        "GET",
        "console:compare",
        "delivery_request",
        c=200,
        **PAGE_NOBODY_BUT_C,
        kwargs=lambda w, p: {
            "pk": w.obj("delivery_request", p).pk,
            "other_pk": w.obj("delivery_request", p).pk,
        },
    ),
    page("GET", "console:casework-search", c=403, w=403, cw=200, v=403),
    page(
        "POST",
        "console:casework-search",
        c=403,
        w=403,
        cw=200,
        v=403,
        body=lambda w, p: {"kind": "name", "term": "山田", "status": ""},
        note="the search is a POST: a name or phone number never goes into a URL",
    ),
    page("GET", "console:casework-request", "delivery_request", c=403, w=403, cw=200, v=403),
    page(
        "POST",
        "console:casework-withdraw",
        "consent",
        c=403,
        w=403,
        cw=302,
        v=403,
        kwargs=lambda w, p: {"pk": w.obj("delivery_request", p).pk, "consent_pk": w.obj("consent", p).pk},
        body=lambda w, p: {f"w{w.obj('consent', p).pk}-method": "signed_form"},
    ),
    page(
        "POST",
        "console:casework-enrol",
        "delivery_request",
        c=403,
        w=403,
        cw=302,
        v=403,
        body=lambda w, p: {"starts_on": timezone.localdate().replace(day=1).isoformat()},
    ),
    page(
        "GET",
        "reports:platform",
        **{**every(403), "i": LOGIN},
        n=200,
        note="the network role and the installation's superuser (not a role of the matrix): aggregates only",
    ),
    page(
        "GET",
        "console:invitation",
        "invitation",
        **every((200, 200, 200)),
        anon=(200, 200, 200),
        kwargs=lambda w, p: {"secret": w.obj("invitation", p).secret},
        note="public: the one-time link is the credential, whoever holds it",
    ),
    page(
        "POST",
        "console:invitation",
        "invitation",
        **every((200, 200, 200)),
        anon=(200, 200, 200),
        kwargs=lambda w, p: {"secret": w.obj("invitation", p).secret},
        body=lambda w, p: {"new_password1": "kita-no-mado-2026", "new_password2": "kita-no-mado-2026"},
    ),
]

ALL_ROWS = ROWS + PAGES

# Routes that are not the product's endpoints or pages, or are not role-scoped, and why.
EXEMPT_ROUTES = {
    "admin:*": "Django admin: staff users only, its own permission system (tests/foodbank)",
    "schema": "the OpenAPI schema, walked by schemathesis (tests/trust/test_openapi.py)",
    "api-docs": "the browsable API docs page",
    "set_language": "Django's language switch",
    "static": "static files",
}

# Methods of routed views that are aliases, not operations of their own.
EXEMPT_METHODS = {
    ("login", "PUT"): "Django's LoginView answers PUT as POST (a FormView); browsers never send it",
}


# --- the docs' copy --------------------------------------------------------------------------------

DOC_BEGIN = "<!-- matrix:begin (generated: python -m tests.trust.matrix --write) -->"
DOC_END = "<!-- matrix:end -->"
DOC_PATH = "docs/authorization.md"
_LABELS = {401: "401", 403: "—", 404: "404", LOGIN: "login"}


def _cell(row: Row, role: str) -> str:
    places = ("own", "sibling", "foreign") if row.obj else ("own",)
    values = [row.expected(role, p) for p in places]
    if len(set(values)) == 1:
        return _LABELS.get(values[0], str(values[0]))
    return " · ".join(_LABELS.get(v, str(v)) for v in values)


def markdown_table() -> str:
    from django.urls import get_resolver  # noqa: F401  (Django must be set up by the caller)

    from .test_matrix import resolver_routes

    routes = resolver_routes()
    lines = [
        "| method and path | object | coordinator | window staff | case worker | volunteer | integration "
        "| network | anonymous |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in ALL_ROWS:
        path = "/" + routes[row.route][0]
        cells = " | ".join(_cell(row, role) for role in ROLES)
        lines.append(f"| `{row.method} {path}` | {row.obj or ''} | {cells} |")
    return "\n".join([DOC_BEGIN, *lines, DOC_END])


def write_docs() -> None:
    with open(DOC_PATH, encoding="utf-8") as f:
        text = f.read()
    start, end = text.index(DOC_BEGIN), text.index(DOC_END) + len(DOC_END)
    with open(DOC_PATH, "w", encoding="utf-8") as f:
        f.write(text[:start] + markdown_table() + text[end:])


if __name__ == "__main__":
    import os
    import sys

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    if "--write" in sys.argv:
        write_docs()
    else:
        print(markdown_table())
