"""Answers with personal data are not cached, pages run only the project's own scripts, and person
fields refuse bidi control characters (issue #21, item 8)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from referrals.models import DeliveryRequest, NaviApplication
from tests.referrals.factories import body, file_request, navi_body
from tests.referrals.test_pages import FORM

pytestmark = pytest.mark.django_db

RLO = "\u202e"


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_api_answers_pages_and_exports_with_personal_data_are_not_stored(
    api, client, network, case_worker_a, coordinator
):
    request = file_request(case_worker_a, network.agency_a)
    client.force_login(case_worker_a)

    answers = [
        api(case_worker_a).get(f"/api/v1/delivery-requests/{request.pk}/"),
        api(case_worker_a).get("/api/v1/delivery-requests/"),
        client.get(f"/requests/{request.pk}/"),
        client.get("/requests/"),
    ]
    client.force_login(coordinator)
    answers.append(client.get(f"/audit/export.csv?subject={request.recipient_id}"))

    for response in answers:
        assert response.status_code == 200, response
        assert _no_store(response), (response.request["PATH_INFO"], response.get("Cache-Control"))


def test_static_files_keep_their_own_caching(client):
    # WhiteNoise answers before NoStoreMiddleware; in tests (no manifest) it sets max-age
    response = client.get(settings.STATIC_URL + "foodbank/app.css")
    if response.status_code == 404:
        pytest.skip("static files are not served in this settings module")
    assert not _no_store(response)


def test_pages_carry_a_content_security_policy_without_inline_script(client, case_worker_a):
    client.force_login(case_worker_a)

    for path in ("/requests/new/", "/accounts/login/", "/api/docs/"):
        policy = client.get(path)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
        assert directives["script-src"] == "'self'", path
        assert directives["object-src"] == "'none'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe-inline" not in policy


def test_the_api_docs_page_loads_its_start_up_script_from_a_url(client):
    html = client.get("/api/docs/").content.decode()

    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts
    assert all("src=" in attrs and not body.strip() for attrs, body in scripts), scripts


def test_no_template_has_an_inline_script_or_event_handler():
    # script-src 'self' would block them: every script is a static file
    root = Path(settings.BASE_DIR)
    offenders = []
    for template in root.glob("*/templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        for attrs, content in re.findall(r"<script([^>]*)>(.*?)</script>", text, re.S):
            if "src=" not in attrs and "application/json" not in attrs and content.strip():
                offenders.append(str(template.relative_to(root)))
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{template.relative_to(root)} (event handler attribute)")
    assert offenders == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", f"{RLO}ｺﾅﾊ ｳﾄｻ"),
        ("name_kana", f"ヤマダ{RLO}ハナコ"),
        ("address", f"花園2丁目{RLO}6-7"),
        ("building", "\u2067ハイツ\u2069"),
    ],
)
def test_a_bidi_control_in_a_person_field_is_a_400_and_nothing_is_written(api, case_worker_a, field, value):
    response = api(case_worker_a).post(
        "/api/v1/delivery-requests/", body(**{f"recipient__{field}": value}), format="json"
    )

    assert response.status_code == 400
    assert field in response.json()["recipient"]
    assert "U+" in response.json()["recipient"][field][0]
    assert not DeliveryRequest.objects.exists()


def test_the_navi_intake_refuses_a_bidi_control_in_the_name(api, integration):
    data = navi_body()
    data["recipient"] = {**data["recipient"], "name": f"山田{RLO}花子"}

    response = api(integration).post("/api/v1/intake/navi/", data, format="json")

    assert response.status_code == 400
    assert "name" in response.json()["recipient"]
    assert not NaviApplication.objects.exists()


def test_the_request_form_shows_a_bidi_control_on_its_field(client, case_worker_a):
    client.force_login(case_worker_a)

    response = client.post("/requests/new/", {**FORM, "name": f"山田{RLO}花子"})

    assert response.status_code == 400
    html = response.content.decode()
    name = html[html.index('id="field-name"') :]
    assert 'class="errorlist"' in name[: name.index("</div>")]
    assert not DeliveryRequest.objects.exists()
