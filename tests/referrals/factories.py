"""Bodies and rows for the referrals tests. Rows are made through the services, as the API does."""

import copy
from datetime import timedelta

from django.utils import timezone

from referrals import services
from referrals.models import ConsentRecord

# The minimum body of docs/spec.md §4.1, with a real Otaru postal code and a mobile number.
BODY = {
    "recipient": {
        "name": "山田 花子",
        "name_kana": "ヤマダ ハナコ",
        "phone": "090-1234-5678",
        "postal_code": "047-0024",
        "address": "花園2丁目6-7",
        "building": "花園ハイツ101",
    },
    "household": {"adults": 1, "children": 2, "children_ages": [4, 9], "infants": 1, "type": "single_parent"},
    "situation": {"category": "welfare_pending", "note": "生活保護申請中、初回支給まで2週間"},
    "days_needed": 7,
    "cooking": {"gas": False, "electricity": True, "water": True, "microwave": True, "kettle": True},
    "dietary": {"allergies": "えび・かに", "note": "たんぱく質多めに"},
    "extras": [{"item": "diapers", "size": "M", "quantity": 1}, {"item": "formula", "quantity": 1}],
    "delivery_date": None,
    "time_slot": "1416",
    "consent": {"share_with_foodbank": True, "referral": True},
}


def body(**changes) -> dict:
    """A copy of BODY; keys like ``recipient__postal_code`` change one nested value."""
    data = copy.deepcopy(BODY)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = data
        for part in parents:
            target = target[part]
        target[leaf] = value
    return data


def navi_body(**changes) -> dict:
    data = {
        "application_id": "NAVI-2025-000123",
        "recipient": {**BODY["recipient"], "postal_code": "0650011", "address": "北11条東3丁目2-1"},
        "household": {"type": "single", "adults": 1},
        "answers": {
            "lost_income": True,
            "lost_job": True,
            "has_debts": True,
            "debts_note": "消費者金融 約50万円",
            "first_time_at_food_bank": True,
            "has_someone_to_consult": False,
            "wants_referral": True,
        },
        "situation": {"category": "job_loss", "no_food_today": True},
        "consent": {"share_with_foodbank": True},
    }
    data.update(changes)
    return data


def tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


def recipient_input(**changes) -> services.RecipientInput:
    values = {
        "name": "山田 花子",
        "name_kana": "ヤマダ ハナコ",
        "phone": "+819012345678",
        "postal_code": "0470024",
        "prefecture": "北海道",
        "municipality": "小樽市",
        "municipality_code": "01203",
        "regional_bureau": "shiribeshi",
        "address": "花園2丁目6-7",
        "building": "",
    }
    values.update(changes)
    return services.RecipientInput(**values)


def file_request(case_worker, agency, *, household_type="single_parent", infants=1, **needs):
    """A submitted request filed through the service, with consent to share and to refer."""
    needs.setdefault("situation_category", "welfare_pending")
    needs.setdefault("situation_note", "生活保護申請中")
    return services.file_delivery_request(
        filed_by=case_worker,
        agency=agency,
        recipient=recipient_input(),
        household=services.HouseholdInput(type=household_type, adults=1, children=1, infants=infants),
        needs=services.NeedsInput(**needs),
        consents=[
            services.ConsentInput(purpose=ConsentRecord.Purpose.SHARE_WITH_FOODBANK),
            services.ConsentInput(purpose=ConsentRecord.Purpose.REFERRAL),
        ],
    )


TRACKING_NUMBER = "123456789013"  # check digit: 12345678901 mod 7 = 3
TRACKING_URL = "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01=123456789013"

# The service that moves a request into each status.
ACTIONS = {
    "approved": lambda pk, by: services.approve_request(request_id=pk, by=by),
    "declined": lambda pk, by: services.decline_request(request_id=pk, by=by, reason="配送対象外"),
    "cancelled": lambda pk, by: services.cancel_request(request_id=pk, by=by, reason="重複して申請"),
    "scheduled": lambda pk, by: services.mark_scheduled(request_id=pk, batch_ref="B-20250601", by=by),
    "packed": lambda pk, by: services.mark_packed(request_id=pk, by=by),
    "shipped": lambda pk, by: services.mark_shipped(
        request_id=pk, tracking_number=TRACKING_NUMBER, tracking_url=TRACKING_URL, by=by
    ),
    "delivered": lambda pk, by: services.mark_delivered(request_id=pk, by=by),
    "returned": lambda pk, by: services.mark_returned(request_id=pk, by=by, reason="不在のため返送"),
}

# How a submitted request reaches each status.
PATHS = {
    "submitted": [],
    "approved": ["approved"],
    "declined": ["declined"],
    "cancelled": ["cancelled"],
    "scheduled": ["approved", "scheduled"],
    "packed": ["approved", "scheduled", "packed"],
    "shipped": ["approved", "scheduled", "packed", "shipped"],
    "delivered": ["approved", "scheduled", "packed", "shipped", "delivered"],
    "returned": ["approved", "scheduled", "packed", "shipped", "returned"],
}


def bring_to(request, status: str, by):
    """Move a submitted request along the workflow to ``status`` through the services."""
    for step in PATHS[status]:
        ACTIONS[step](request.pk, by)
    request.refresh_from_db()
    assert request.status == status
    return request
