"""The ``network`` column of the authorisation matrix (tests/trust/matrix.py): an account holding
only the network role (``foodbank.models.Role.NETWORK``, docs/console.md "The platform view").

The role opens the installation's platform view and grants nothing inside any food bank, not even
the one its membership is recorded at. Everywhere else it answers as an account with no role inside
a food bank does: a forbidden action is 403 (every row not listed here), an object of a food bank
is not there (404), a list is empty (200; test_matrix checks that it lists nothing of any food
bank), and what is public or about the account itself answers as to anyone signed in.

A row of matrix.py may still say ``n=`` itself; otherwise its answer is taken from here, by row id.
"""

NETWORK = {
    # Its one page, the network's aggregates, is said on its row of matrix.py (n=200).
    # Lists of a food bank's things: empty.
    "GET api-sites": 200,
    "GET api-items": 200,
    "GET api-pack-types": 200,
    "GET api-stock-movements": 200,
    "GET api-handouts": 200,
    "GET api-donation-receipts": 200,
    "GET api-stock-takes": 200,
    "GET api-restock-shipments": 200,
    "GET api-par-levels": 200,
    # A food bank's objects, named by id: not there.
    "GET api-site-detail": 404,
    "GET api-pack-type-detail": 404,
    "POST api-pack-type-recipes": 404,
    "GET api-site-stock": 404,
    "GET api-site-item-stock": 404,
    "POST api-stock-movement-reverse": 404,
    "POST api-stock-adjustments": 404,
    "GET api-handout-detail": 404,
    "POST api-handout-void": 404,
    "POST api-donation-receipts": 404,
    "POST api-assemblies": 404,
    "POST api-stock-takes": 404,
    "GET api-stock-take-detail": 404,
    "POST api-stock-take-confirm": 404,
    "POST api-restock-shipments": 404,
    "GET api-restock-detail": 404,
    "POST api-restock-approve": 404,
    "POST api-restock-cancel": 404,
    "POST api-restock-packed": 404,
    "POST api-restock-receive": 404,
    "POST api-par-levels": 404,
    "GET api-donor-detail": 404,
    "PATCH api-donor-detail": 404,
    "GET api-donation-detail": 404,
    "GET inventory:window": 404,
    "GET inventory:window-history": 404,
    "GET inventory:window-stock": 404,
    "POST inventory:window-write-off": 404,
    "POST inventory:window-count": 404,
    "POST inventory:window-count-confirm": 404,
    "POST inventory:window": 404,
    "POST inventory:window-restock": 404,
    "POST inventory:window-receive": 404,
    "POST inventory:window-void": 404,
    "POST inventory:restock-approve": 404,
    "POST inventory:restock-cancel": 404,
    # Public pages and the account's own: as for anyone signed in.
    "POST api-token": 400,
    "GET api-me": 200,
    "GET home": 200,
    "GET healthz": 200,
    "GET login": 302,
    "POST login": 302,
    "POST logout": "login",
    "GET inventory:service-worker": 200,
    "GET inventory:manifest": 200,
    "GET reports:open-windows-csv": 200,
    "GET reports:open-windows-schema": 200,
    "GET directory:root": 200,
    "GET directory:organizations": 200,
    "GET directory:organization": (200, 200, 200),
    "GET directory:services": 200,
    "GET directory:service": (200, 200, 200),
    "GET directory:service-at-locations": 200,
    "GET console:invitation": (200, 200, 200),
    "POST console:invitation": (200, 200, 200),
}
