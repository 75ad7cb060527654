import pytest

pytestmark = pytest.mark.django_db


def test_login_page_is_japanese_by_default(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "ログイン" in html
    assert '<label for="id_username">' in html


def test_login_then_home_shows_the_roles(client, window_staff_a):
    response = client.post("/accounts/login/", {"username": "window_a", "password": "pw-for-tests"})
    assert response.status_code == 302

    home = client.get("/")

    assert home.status_code == 200
    html = home.content.decode()
    assert "窓口スタッフ" in html
    assert "小樽窓口" in html


def test_wrong_password_shows_a_japanese_error_and_does_not_log_in(client, window_staff_a):
    response = client.post("/accounts/login/", {"username": "window_a", "password": "nope"})

    assert response.status_code == 200
    assert "正しくありません" in response.content.decode()
    assert client.get("/").status_code == 302


def test_home_requires_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_switching_to_english(client, window_staff_a):
    client.force_login(window_staff_a)

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()

    assert '<html lang="en">' in html
    assert "Window staff" in html
    assert "Log out" in html


def test_logout_is_a_post(client, window_staff_a):
    client.force_login(window_staff_a)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/auth/token/", "/api/v1/me/", "/api/v1/sites/"} <= set(paths)

    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
