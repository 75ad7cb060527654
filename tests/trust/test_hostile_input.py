"""Hostile input is refused with a clear answer, never a 500: NUL bytes anywhere, oversized
bodies and uploads, and spreadsheet formulas in exported cells."""

import json
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from foodbank.exceptions import InvalidUpload, UploadTooLarge
from foodbank.exports import csv_bytes, csv_response, neutralise
from foodbank.models import ApiToken
from foodbank.uploads import read_csv_upload, read_text_upload

pytestmark = pytest.mark.django_db


def _assert_invalid_characters(response):
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_characters",
        "detail": "リクエストに使用できない文字（NUL）が含まれています。",
    }


def test_nul_in_a_query_parameter_is_400_json(api, coordinator):
    _assert_invalid_characters(api(coordinator).get("/api/v1/sites/", {"kind": "win\x00dow"}))


def test_nul_in_a_query_parameter_name_is_400(api, coordinator):
    _assert_invalid_characters(api(coordinator).get("/api/v1/sites/?ki%00nd=window"))


def test_nul_in_a_json_string_is_400_and_nothing_is_issued(coordinator):
    body = json.dumps({"username": "coordinator\x00", "password": "pw-for-tests"})

    response = APIClient().post("/api/v1/auth/token/", body, content_type="application/json")

    _assert_invalid_characters(response)
    assert not ApiToken.objects.exists()


def test_an_escaped_backslash_before_u0000_is_ordinary_text(coordinator):
    # "\\u0000" in JSON is a backslash followed by "u0000": no NUL, so the view answers normally.
    body = '{"username": "coordinator\\\\u0000", "password": "pw-for-tests"}'

    response = APIClient().post("/api/v1/auth/token/", body, content_type="application/json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_nul_in_a_header_is_400(api, coordinator):
    _assert_invalid_characters(api(coordinator).get("/api/v1/me/", HTTP_X_REQUEST_ID="abc\x00"))


def test_nul_in_a_form_field_on_a_page_is_400_text(client, window_staff_a):
    response = client.post("/accounts/login/", {"username": "window_a\x00", "password": "pw-for-tests"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "_auth_user_id" not in client.session


def test_nul_in_a_multipart_field_beside_a_file_is_400(api, coordinator):
    upload = SimpleUploadedFile("tracking.csv", b"a,b\r\n", content_type="text/csv")

    response = api(coordinator).post("/api/v1/me/", {"file": upload, "note": "x\x00y"}, format="multipart")

    _assert_invalid_characters(response)


def test_a_json_body_over_the_limit_is_413_json(coordinator, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"username": "coordinator", "password": "x" * 2000})

    response = APIClient().post("/api/v1/auth/token/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert not ApiToken.objects.exists()


def test_any_body_over_the_overall_limit_is_413_before_it_is_read(api, coordinator, settings):
    settings.MAX_REQUEST_BODY_SIZE = 10_000
    upload = SimpleUploadedFile("tracking.csv", b"x" * 20_000, content_type="text/csv")

    response = api(coordinator).post("/api/v1/me/", {"file": upload}, format="multipart")

    assert response.status_code == 413
    assert response.json() == {"code": "request_too_large", "detail": "リクエストが大きすぎます。"}


def test_an_oversized_page_form_is_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = client.post("/accounts/login/", {"username": "u" * 500, "password": "p"})

    assert response.status_code == 413


def test_too_many_form_fields_is_400(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10

    response = client.post("/accounts/login/", {f"f{i}": "x" for i in range(20)})

    assert response.status_code == 400


# --- Uploads ----------------------------------------------------------------------------------------


def test_an_upload_over_its_limit_is_413_upload_too_large():
    upload = SimpleUploadedFile("b2.csv", b"x" * 101)

    with pytest.raises(UploadTooLarge) as refused:
        read_text_upload(upload, max_bytes=100)

    assert refused.value.status_code == 413
    assert refused.value.code == "upload_too_large"
    assert refused.value.extra == {"max_bytes": 100}


def test_tracking_import_limit_comes_from_settings(settings):
    settings.TRACKING_IMPORT_MAX_BYTES = 10

    with pytest.raises(UploadTooLarge):
        read_text_upload(SimpleUploadedFile("b2.csv", b"12345678901"))


def test_an_upload_with_nul_bytes_is_invalid():
    with pytest.raises(InvalidUpload) as refused:
        read_text_upload(SimpleUploadedFile("b2.csv", b"a,b\x00\r\n"))

    assert refused.value.status_code == 400
    assert refused.value.code == "invalid_upload"


def test_shift_jis_and_utf8_uploads_are_read():
    sjis = "お届け先,伝票番号\r\n山田,123456789012\r\n".encode("cp932")
    utf8 = "\ufeffお届け先,伝票番号\r\n".encode()

    assert read_csv_upload(SimpleUploadedFile("b2.csv", sjis)) == [
        ["お届け先", "伝票番号"],
        ["山田", "123456789012"],
    ]
    assert read_csv_upload(SimpleUploadedFile("b2.csv", utf8)) == [["お届け先", "伝票番号"]]


def test_an_undecodable_upload_is_invalid():
    with pytest.raises(InvalidUpload):
        read_text_upload(SimpleUploadedFile("b2.csv", b"abc\x81 "))


# --- CSV exports ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+81-90-1234", "'+81-90-1234"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("＝1+1", "'＝1+1"),
        ("山田 花子", "山田 花子"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-5, -5),
        (3, 3),
    ],
)
def test_cells_are_neutralised(cell, written):
    assert neutralise(cell) == written


def test_csv_bytes_start_with_a_bom_and_use_crlf():
    data = csv_bytes([["name", "note"], ["山田", "=1+1"]])

    assert data == "\ufeffname,note\r\n山田,'=1+1\r\n".encode()


def test_csv_can_be_written_in_shift_jis_without_bom():
    data = csv_bytes([["山田", "@x"]], encoding="cp932")

    assert data == "山田,'@x\r\n".encode("cp932")


def test_csv_response_is_a_download_that_is_not_cached():
    response = csv_response([["id", "memo"], [1, "-danger"]], "監査ログ.csv")

    body = b"".join(response.streaming_content)
    assert body == "\ufeffid,memo\r\n1,'-danger\r\n".encode()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        "attachment; filename=\"____.csv\"; filename*=UTF-8''%E7%9B%A3%E6%9F%BB%E3%83%AD%E3%82%B0.csv"
    )
    assert response["Cache-Control"] == "no-store"


def test_an_empty_export_is_just_the_bom():
    assert b"".join(csv_response([], "empty.csv").streaming_content) == b"\xef\xbb\xbf"
    assert BytesIO(csv_bytes([])).read() == b"\xef\xbb\xbf"


@pytest.mark.parametrize("value", ["²", "١٢", "99999999999999999999999"])
def test_a_non_ascii_or_huge_number_in_a_page_query_is_ignored_not_a_500(client, network, coordinator, value):
    # str.isdigit() accepts "²", which int() refuses; Arabic-Indic digits convert but are no id here
    client.force_login(coordinator)
    for url in (f"/windows/{network.window_a.pk}/", "/intake/"):
        response = client.get(url, {"recorded": value})
        assert response.status_code in (200, 400), (url, response.status_code)
