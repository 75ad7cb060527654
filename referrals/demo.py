"""Demo data of `referrals`: requests in several states from both demo case workers, a Navi
self-referral, a monthly-programme enrolment, two referrals back to consultation services (one in
window_sapporo's inbox) and two messages of feedback (one private). Loaded by
`manage.py load_demo_data` after the network. Idempotent: each demo request has a fixed agency
reference (or Navi application id) and is only created, and moved through its states, when it does
not exist yet; a request is referred once; feedback is added to a food bank that has none."""

from django.contrib.auth import get_user_model
from django.utils import timezone

from foodbank.models import Membership, Organisation, Role
from foodbank.postal import lookup

from . import services
from .models import ConsentRecord, DeliveryRequest, Enrolment, Feedback, NaviApplication, Referral

Purpose = ConsentRecord.Purpose


def _yamato_url(number: str) -> str:
    return f"https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01={number}"


# (username, reference, recipient, household, needs, states to move through after filing)
DEMO_REQUESTS = [
    (
        "caseworker_sapporo",
        "DEMO-S-001",
        ("北野 さくら", "キタノ サクラ", "+819011110001", "0600042", "大通西19丁目1-1", "大通ハイツ203"),
        {"type": "single_parent", "adults": 1, "children": 1, "children_ages": [5], "infants": 1},
        {
            "situation_category": "welfare_pending",
            "situation_note": "生活保護を申請中。初回支給まで2週間、手持ちの食料がない。",
            "no_food_today": True,
            "extras": [{"item": "diapers", "size": "M", "quantity": 1, "note": ""}],
        },
        [],
    ),
    (
        "caseworker_sapporo",
        "DEMO-S-002",
        ("南 一郎", "ミナミ イチロウ", "+81112220002", "0640801", "南一条西5丁目", ""),
        {"type": "elderly", "adults": 0, "elderly": 1},
        {
            "situation_category": "pension_gap",
            "situation_note": "認知症のため年金が早く尽きる。次の支給日まで10日。",
            "cooking": {"electricity": True, "water": True, "microwave": True, "kettle": True},
            "dietary_note": "やわらかい食品を",
        },
        ["approve"],
    ),
    (
        "caseworker_sapporo",
        "DEMO-S-003",
        ("東 健太", "ヒガシ ケンタ", "+819011110003", "0028071", "あいの里1条2丁目3-4", ""),
        {"type": "single", "adults": 1},
        {
            "situation_category": "wage_gap",
            "situation_note": "就職したが初任給まで3週間。",
            "cooking": {"gas": True, "electricity": True, "water": True, "kettle": True},
            "dietary_note": "たんぱく質多めに",
        },
        ["approve", "schedule", "pack", "ship"],
    ),
    (
        "caseworker_ebetsu",
        "DEMO-E-001",
        ("江別 太郎", "エベツ タロウ", "+819011110004", "0670001", "王子1-1", ""),
        {"type": "family", "adults": 2, "children": 2, "children_ages": [8, 12]},
        {
            "situation_category": "job_loss",
            "situation_note": "工場の閉鎖で失職。ガスが止められている。",
            "cooking": {"electricity": True, "water": True, "portable_stove": True},
            "extras": [{"item": "gas_canister", "size": "", "quantity": 3, "note": ""}],
        },
        [],
    ),
    (
        "caseworker_ebetsu",
        "DEMO-E-002",
        ("上江別 花", "カミエベツ ハナ", "+819011110005", "0670063", "上江別西町5-6", ""),
        {"type": "single", "adults": 1},
        {"situation_category": "other", "situation_note": "一時的な困窮。"},
        ["decline"],
    ),
    (
        "caseworker_ebetsu",
        "DEMO-E-003",
        ("王子 美咲", "オウジ ミサキ", "+819011110006", "0670001", "王子3-7", "コーポ王子1号"),
        {"type": "single_parent", "adults": 1, "children": 2, "children_ages": [3, 7]},
        {
            "situation_category": "wage_gap",
            "situation_note": "ひとり親。パート収入のみで月末に食費が尽きる。",
            "cooking": {"gas": True, "electricity": True, "water": True, "microwave": True},
            "allergies": "卵",
            "extras": [{"item": "hygiene", "size": "", "quantity": 1, "note": ""}],
        },
        ["approve", "schedule", "pack", "ship", "deliver", "enrol"],
    ),
]


def _recipient(values) -> services.RecipientInput:
    name, kana, phone, postal_code, street, building = values
    area = lookup(postal_code)
    return services.RecipientInput(
        name=name,
        name_kana=kana,
        phone=phone,
        postal_code=area.postal_code,
        prefecture=area.prefecture,
        municipality=area.municipality,
        municipality_code=area.municipality_code,
        regional_bureau=area.regional_bureau,
        address=street,
        building=building,
    )


def load(*, food_bank: Organisation, stdout=None) -> None:
    User = get_user_model()
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["coordinator", "caseworker_sapporo", "caseworker_ebetsu", "navi", "volunteer"]
        )
    }
    coordinator, volunteer = users.get("coordinator"), users.get("volunteer")
    created = 0
    for username, reference, person, household, needs, steps in DEMO_REQUESTS:
        user = users.get(username)
        if user is None:
            continue
        membership = user.memberships.filter(role=Role.CASE_WORKER, food_bank=food_bank).first()
        if membership is None:
            continue
        agency = membership.organisation
        if DeliveryRequest.objects.filter(agency=agency, client_reference=reference).exists():
            continue
        request = services.file_delivery_request(
            filed_by=user,
            agency=agency,
            recipient=_recipient(person),
            household=services.HouseholdInput(**household),
            needs=services.NeedsInput(**needs),
            consents=[
                services.ConsentInput(purpose=Purpose.SHARE_WITH_FOODBANK),
                services.ConsentInput(purpose=Purpose.REFERRAL),
            ],
            client_reference=reference,
        )
        _move(request.pk, steps, coordinator=coordinator, volunteer=volunteer, agency_user=user)
        created += 1
    created += _load_navi(food_bank=food_bank, navi=users.get("navi"))
    if stdout is not None and created:
        stdout.write(f"  Delivery requests: {created} demo requests created.")
    referred = _load_referrals(food_bank=food_bank, coordinator=coordinator)
    if stdout is not None and referred:
        stdout.write(f"  Referrals: {referred} demo referrals sent.")
    _load_feedback(food_bank=food_bank, coordinator=coordinator)


# (agency reference of the request, needs the person chose to share, steps the target took)
DEMO_REFERRALS = [
    # Proposed: the Sapporo window (same municipality). Left unacknowledged: window_sapporo's inbox
    # has one to work on.
    ("DEMO-S-001", "生活保護の申請後の生活について相談したい。子どもの保育園のことも。", []),
    # Proposed: 江別市社会福祉協議会 (an agency in the person's municipality), already contacted.
    ("DEMO-E-001", "仕事探しと家計の立て直しを相談したい。", ["acknowledge", "contact"]),
]


def _load_referrals(*, food_bank: Organisation, coordinator) -> int:
    if coordinator is None:
        return 0
    created = 0
    for reference, needs, steps in DEMO_REFERRALS:
        request = DeliveryRequest.objects.filter(food_bank=food_bank, client_reference=reference).first()
        if request is None or Referral.objects.filter(delivery_request=request).exists():
            continue
        referral = services.create_referral(
            by=coordinator,
            recipient_id=request.recipient_id,
            source=Referral.Source.DELIVERY_REQUEST,
            delivery_request_id=request.pk,
            needs=needs,
        )
        target_staff = _target_user(referral) or coordinator
        if "acknowledge" in steps:
            services.acknowledge_referral(referral_id=referral.pk, by=target_staff)
        if "contact" in steps:
            services.record_referral_contact(
                referral_id=referral.pk,
                by=target_staff,
                contacted_on=timezone.localdate(),
                outcome="電話で面談の日程を調整した。",
            )
        created += 1
    return created


def _target_user(referral: Referral):
    """Someone working for the referral's target (its staff act in the demo), or None."""
    if referral.target_site_id:
        membership = Membership.objects.filter(site_id=referral.target_site_id).first()
    else:
        membership = Membership.objects.filter(organisation_id=referral.target_organisation_id).first()
    return membership.user if membership else None


DEMO_FEEDBACK = [
    ("届いた箱を開けて子どもが喜んでいました。本当に助かりました。", True),
    ("近所の人に知られたくないので、箱に団体名を書かないでほしい。", False),
]


def _load_feedback(*, food_bank: Organisation, coordinator) -> None:
    if coordinator is None or Feedback.objects.filter(food_bank=food_bank).exists():
        return
    for message, may_be_published in DEMO_FEEDBACK:
        services.record_feedback(
            food_bank_id=food_bank.pk,
            by=coordinator,
            message=message,
            may_be_published=may_be_published,
            received_on=timezone.localdate(),
        )


def _move(pk: int, steps: list[str], *, coordinator, volunteer, agency_user) -> None:
    tracking = f"{pk:011d}"
    tracking += str(int(tracking) % 7)
    for step in steps:
        if step == "approve":
            services.approve_request(request_id=pk, by=coordinator)
        elif step == "decline":
            services.decline_request(
                request_id=pk,
                by=coordinator,
                reason="フードバンクの配送対象地域外のため、窓口での配布をご案内ください。",
            )
        elif step == "schedule":
            services.mark_scheduled(request_id=pk, batch_ref="DEMO-BATCH-1", by=coordinator)
        elif step == "pack":
            services.mark_packed(request_id=pk, by=volunteer)
        elif step == "ship":
            services.mark_shipped(
                request_id=pk, tracking_number=tracking, tracking_url=_yamato_url(tracking), by=volunteer
            )
        elif step == "deliver":
            services.mark_delivered(request_id=pk, by=coordinator)
        elif step == "enrol" and not Enrolment.objects.filter(template_id=pk).exists():
            services.enrol_in_monthly_programme(
                request_id=pk, by=agency_user, starts_on=timezone.localdate().replace(day=1)
            )


def _load_navi(*, food_bank: Organisation, navi) -> int:
    application_id = "DEMO-NAVI-0001"
    if (
        navi is None
        or NaviApplication.objects.filter(food_bank=food_bank, application_id=application_id).exists()
    ):
        return 0
    services.receive_navi_application(
        by=navi,
        food_bank=food_bank,
        application_id=application_id,
        recipient=_recipient(
            ("白石 ゆう", "シロイシ ユウ", "+819011110007", "0650011", "北11条東3丁目2-1", "")
        ),
        household=services.HouseholdInput(type="single", adults=1),
        needs=services.NeedsInput(situation_category="job_loss", no_food_today=True),
        answers=services.NaviAnswers(
            lost_job=True,
            lost_income=True,
            has_debts=True,
            debts_note="消費者金融 約50万円",
            first_time_at_food_bank=True,
            has_someone_to_consult=False,
            wants_referral=True,
        ),
        consents=[
            services.ConsentInput(
                purpose=Purpose.SHARE_WITH_FOODBANK, method=ConsentRecord.Method.ELECTRONIC
            ),
            services.ConsentInput(purpose=Purpose.REFERRAL, method=ConsentRecord.Method.ELECTRONIC),
        ],
    )
    return 1
