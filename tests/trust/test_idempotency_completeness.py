"""Every POST that creates something honours ``Idempotency-Key`` (docs/journeys.md).

The first test walks Django's URL resolver: a POST endpoint must either carry
``foodbank.idempotency.honours_idempotency_key`` (and run its creation through
``idempotent_create``) or be listed below as creating nothing, with the reason. A new creating
endpoint that forgets the key fails the build. The second proves on every marked endpoint that the
header is read before any work; ``test_idempotent_creating_posts.py`` replays each creating POST.
"""

import inspect

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from foodbank.models import AuditEvent

# POSTs that create nothing a retry could duplicate, by URL name, and why.
NOT_CREATING = {
    "api-webhook-endpoint-rotate": "state change: each call rotates (the previous secret signs for a day)",
    "api-webhook-delivery-resend": "queues the delivery again; receivers de-duplicate by its event id",
    "api-token": "logs in: each call answers the user's token",
    "api-items": "upsert by code: the same body twice leaves one item",
    "api-pack-types": "upsert by code",
    "api-par-levels": "upsert per window and pack type",
    "api-stock-movement-reverse": "a movement is reversed once; a retry is 409",
    "api-handout-void": "state change (void once)",
    "api-stock-take-confirm": "state change (confirm once)",
    "api-restock-approve": "state change",
    "api-restock-cancel": "state change",
    "api-restock-packed": "state change",
    "api-restock-receive": "state change (received once)",
    "api-delivery-request-approve": "state change",
    "api-delivery-request-decline": "state change",
    "api-delivery-request-cancel": "state change",
    "api-consent-withdraw": "state change (withdrawn once; a retry is 409)",
    "api-enrolment-end": "state change",
    "api-referral-acknowledge": "state change",
    "api-referral-contacted": "state change",
    "api-referral-close": "state change",
    "api-handout-referral-contact": "one contact per handout; a retry is 409 contact_already_recorded",
    "api-dispatch-batches": "one batch per carrier account and ship date: a retry answers the same batch",
    "api-tracking-import": "matching numbers again changes nothing",
    "api-delivery-status-import": "state change (a parcel already delivered or returned is left as it is)",
    "api-batch-handed-over": "state change (twice changes nothing)",
    "api-parcel-packed": "state change (twice changes nothing)",
    "api-parcel-void": "state change (twice changes nothing)",
    "api-parcel-delivered": "state change (twice changes nothing)",
    "api-parcel-returned": "state change (twice changes nothing; packs back once)",
}


def _routes(patterns=None, prefix=""):
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _api_posts() -> list[tuple[str, str, type]]:
    """(route, name, view class) of every API view that answers POST."""
    out = []
    for route, pattern in _routes():
        cls = getattr(pattern.callback, "cls", None)
        if cls is not None and callable(getattr(cls, "post", None)):
            out.append((route, pattern.name, cls))
    return out


def test_every_creating_post_honours_the_idempotency_key():
    forgotten, unnamed = [], []
    for route, name, cls in _api_posts():
        if name is None:
            unnamed.append(route)
        elif name in NOT_CREATING:
            continue
        elif not getattr(cls.post, "honours_idempotency_key", False):
            forgotten.append(f"{route} ({cls.__module__}.{cls.__name__})")
        else:
            source = inspect.getsource(cls)
            assert "idempotent_create(" in source or "run_once(" in source, route
    assert not unnamed, unnamed
    assert not forgotten, (
        "POST endpoints that neither honour Idempotency-Key (foodbank.idempotency."
        "honours_idempotency_key + idempotent_create) nor are listed in NOT_CREATING:\n  "
        + "\n  ".join(forgotten)
    )


def test_the_list_of_posts_that_create_nothing_names_real_endpoints():
    names = {name for _route, name, _cls in _api_posts()}
    assert set(NOT_CREATING) <= names, set(NOT_CREATING) - names


@pytest.mark.django_db
def test_every_creating_post_reads_the_key_before_any_work(api, network, coordinator):
    # given every POST endpoint that creates something (ids in the path: 1)
    marked = [(route, cls) for route, name, cls in _api_posts() if name not in NOT_CREATING]
    assert len(marked) >= 13
    client = api(coordinator)
    audit_before = AuditEvent.objects.count()
    for route, _cls in marked:
        path = "/" + route.replace("<int:pk>", "1").replace("<int:site_id>", "1")
        # when it is sent a malformed key
        response = client.post(path, {}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 300)
        # then it is refused as such, before the body or the path's object are looked at
        assert response.status_code == 400, (route, response.status_code)
        assert "Idempotency-Key" in response.json(), route
    assert AuditEvent.objects.count() == audit_before
