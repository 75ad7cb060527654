"""The HSDS 3.0 directory API: anonymous, read-only, cacheable (docs/directory.md).

Paths follow HSDS 3.0's API reference (``/organizations``, ``/services``, ``/service_at_locations``,
lists as HSDS pages). Answers carry ``Cache-Control: public`` and a strong ETag; a matching
``If-None-Match`` is 304. Nothing here depends on who asks.
"""

import hashlib
import json
import math

from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.urls import reverse
from django.views.decorators.http import require_GET

from . import hsds

MAX_AGE = 300  # seconds: the directory changes when a coordinator edits a window
PER_PAGE, MAX_PER_PAGE = 50, 500


def _compact(value):
    """HSDS fields are absent rather than null."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


def _answer(request, body) -> HttpResponse:
    payload = json.dumps(_compact(body), ensure_ascii=False, sort_keys=True).encode()
    etag = '"' + hashlib.sha256(payload).hexdigest()[:32] + '"'
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(payload, content_type="application/json; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _page(request, items: list[dict]) -> dict:
    try:
        per_page = min(max(int(request.GET.get("per_page", PER_PAGE)), 1), MAX_PER_PAGE)
        number = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        per_page, number = PER_PAGE, 1
    pages = max(math.ceil(len(items) / per_page), 1)
    contents = items[(number - 1) * per_page : number * per_page]
    return {
        "total_items": len(items),
        "total_pages": pages,
        "page_number": number,
        "size": len(contents),
        "first_page": number == 1,
        "last_page": number >= pages,
        "empty": not contents,
        "contents": contents,
    }


@require_GET
def root(request):
    return _answer(
        request,
        {
            "version": hsds.HSDS_VERSION,
            "profile": "jp-foodbank/1 (docs/directory.md, section Japan profile)",
            "openapi_url": "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json",
            "organizations": reverse("directory:organizations"),
            "services": reverse("directory:services"),
            "service_at_locations": reverse("directory:service-at-locations"),
        },
    )


@require_GET
def organizations(request):
    return _answer(request, _page(request, hsds.build().organizations))


@require_GET
def organization(request, pk):
    directory = hsds.build()
    for org in directory.organizations:
        if org["id"] == str(pk):
            return _answer(request, hsds.full_organization(directory, org))
    raise Http404


@require_GET
def services(request):
    directory = hsds.build()
    return _answer(request, _page(request, [hsds.full_service(directory, s) for s in directory.services]))


@require_GET
def service(request, pk):
    directory = hsds.build()
    for item in directory.services:
        if item["id"] == str(pk):
            return _answer(request, hsds.full_service(directory, item))
    raise Http404


@require_GET
def service_at_locations(request):
    return _answer(request, _page(request, hsds.build().service_at_locations))
