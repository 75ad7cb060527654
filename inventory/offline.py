"""The window page as an installable offline-first web app (docs/window-offline.md).

- ``service_worker``: ``/windows/sw.js``, the worker whose scope is every window page. It is our
  own small worker (``static/inventory/sw.js``), served from under ``/windows/`` so that its scope
  covers the pages, with the cache names and URLs it needs put in front of it.
- ``manifest``: ``/windows/manifest.webmanifest``, Japanese name and icons.
- ``page_config``: what the page's script (``window.js``) needs: URLs, the stock as rendered, the
  presets and the translated strings it shows.

Neither the worker nor the manifest holds data of a user; both are served without a login (a
worker update check must not turn into a redirect to the login page).
"""

import hashlib
import json
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .forms import PRESETS

PAGES_CACHE = "window-pages-v1"
SYNC_TAG = "handout-queue"
# What a window page needs to open with no connection, besides the page itself.
ASSETS = (
    "foodbank/app.css",
    "foodbank/icon.svg",
    "inventory/inventory.css",
    "inventory/once.js",
    "inventory/queue.js",
    "inventory/window.js",
    "inventory/icons/window-192.png",
)


@cache
def _version() -> str:
    """Changes when the worker or an asset changes, so that the browser installs the new worker."""
    digest = hashlib.sha256()
    for name in (*ASSETS, "inventory/sw.js"):
        path = finders.find(name)
        with open(path, "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()[:12]


@cache
def _worker_source() -> str:
    with open(finders.find("inventory/sw.js"), encoding="utf-8") as f:
        return f.read()


@require_GET
@never_cache
def service_worker(request):
    config = {
        "pagesCache": PAGES_CACHE,
        "assetsCache": f"window-assets-{_version()}",
        "assets": [staticfiles_storage.url(name) for name in ASSETS],
        "queueScript": staticfiles_storage.url("inventory/queue.js"),
        "urls": {"me": reverse("api-me"), "handouts": reverse("api-handouts")},
        "offlineTitle": _("No connection"),
        "offlineText": _("This page has not been opened on this device yet. Open it once with a connection."),
    }
    body = f"self.FB = {json.dumps(config, ensure_ascii=False)};\n{_worker_source()}"
    return HttpResponse(body, content_type="text/javascript; charset=utf-8")


@require_GET
def manifest(request):
    icons = [
        {
            "src": staticfiles_storage.url(f"inventory/icons/window-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
        }
        for size in (192, 512)
    ]
    svg = staticfiles_storage.url("foodbank/icon.svg")
    icons.append({"src": svg, "sizes": "any", "type": "image/svg+xml"})
    # The page links ``?site=<id>``: the installed app opens that window's page, which the worker
    # can serve with no connection. Nothing about the window is revealed: the URL holds only its id.
    site = request.GET.get("site", "")
    if site.isdigit() and len(site) < 12:
        start = reverse("inventory:window", args=[int(site)])
    else:
        start = reverse("home")
    body = {
        "id": start,
        "name": _("Window handouts"),
        "short_name": _("Handouts"),
        "lang": "ja",
        "start_url": start,
        "scope": "/",
        "display": "standalone",
        "background_color": "#f6f7f4",
        "theme_color": "#1d5e3a",
        "icons": icons,
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


def page_config(*, site, user, stock) -> dict:
    """The page script's configuration (rendered with ``json_script``: data, not code)."""
    return {
        "site": site.pk,
        "user": user.get_username(),
        "renderedAt": int(timezone.now().timestamp() * 1000),
        "stock": {row.pack_type.code: row.quantity for row in stock},
        "packTypes": {row.pack_type.code: row.pack_type.name for row in stock},
        "presets": {key: lines for key, (_label, lines) in PRESETS.items()},
        "pagesCache": PAGES_CACHE,
        "syncTag": SYNC_TAG,
        "urls": {
            "page": reverse("inventory:window", args=[site.pk]),
            "sw": reverse("inventory:service-worker"),
            "scope": reverse("inventory:service-worker").rsplit("/", 1)[0] + "/",
            "me": reverse("api-me"),
            "handouts": reverse("api-handouts"),
            "stock": reverse("api-site-stock", args=[site.pk]),
            "login": reverse(settings.LOGIN_URL),
        },
        "strings": {
            "inStock": _("%(n)s in stock"),
            "sending": _("Sending…"),
            "queued": _("Saved on this device, not sent yet. It will be sent when the connection returns."),
            "sentQueued": _("%(n)s queued handouts were sent."),
            "unsent": _("Not sent: %(n)s"),
            "offline": _(
                "No connection. Handouts are saved on this device and sent in order when it returns."
            ),
            "login": _("Your login has expired. Log in again to send the handouts saved on this device."),
            "loginLink": _("Log in"),
            "otherUser": _(
                "%(n)s handouts saved on this device by another user: they are sent when that user logs in."
            ),
            "stockAt": _("Stock as of %(time)s (%(age)s)"),
            "justNow": _("just now"),
            "minutesAgo": _("%(n)s min ago"),
            "hoursAgo": _("%(n)s h ago"),
            "daysAgo": _("%(n)s days ago"),
            "offlineReady": _("This page opens on this device without a connection."),
            "noSets": _("Enter how many sets of at least one kind."),
            "short": _("Not enough stock (%(parts)s). Nothing was recorded."),
            "shortPart": _("%(name)s: %(available)s left, %(requested)s asked for"),
            "shortReview": _("Not enough stock on the server (%(parts)s)."),
            "notFound": _("This window does not accept handouts from you (closed, or not your window)."),
            "forbidden": _("You may no longer log handouts here."),
            "reused": _("This handout was already sent with other values."),
            "refused": _("The server refused it (%(status)s)."),
            "pendingBadge": _("Not sent"),
            "reviewBadge": _("To check"),
            "fewer": _("Send with these numbers"),
            "discard": _("Discard"),
            "discardReason": _("Why discard it"),
            "discardReasons": [
                ["not_handed_out", _("The sets were not handed out")],
                ["entry_error", _("Entered by mistake")],
                ["recorded_elsewhere", _("Already recorded another way")],
            ],
            "discarded": _("Discarded (%(reason)s). Nothing was recorded for it."),
            "logoutWarning": _(
                "%(n)s handouts on this device have not been sent. Logging out deletes them from this "
                "device and they will not be sent. Log out?"
            ),
        },
    }
