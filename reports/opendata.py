"""The open-data directory of consultation windows that hold emergency food (docs/spec.md §3.5).

Published without login as CSV (UTF-8 with BOM, CRLF line ends, one header row of the column
names below) with a Frictionless Table Schema descriptor beside it. Only active windows of active
organisations are listed, never a confidential one (``foodbank.selectors.publishable_sites``);
nothing about a person is in it.
"""

from .selectors import open_windows

# (column name, Table Schema type, description)
COLUMNS = [
    ("id", "integer", "Stable identifier of the window in this system."),
    ("name", "string", "Name of the window (相談窓口)."),
    ("organisation", "string", "Organisation that runs the window."),
    ("food_bank", "string", "Food bank that supplies the window."),
    ("postal_code", "string", "Postal code, seven digits without hyphen (text: may start with 0)."),
    ("prefecture", "string", "Prefecture."),
    ("municipality", "string", "Municipality (市区町村)."),
    ("municipality_code", "string", "JIS X 0402 five-digit municipality code."),
    ("regional_bureau", "string", "Hokkaido regional bureau code (e.g. ishikari)."),
    ("address", "string", "Street address."),
    ("building", "string", "Building, floor or room."),
    ("opening_hours", "string", "Opening hours as written by the window."),
    ("phone", "string", "Public telephone number of the window."),
]


def rows():
    yield [name for name, _type, _description in COLUMNS]
    for site in open_windows().iterator(chunk_size=500):
        yield [
            site.pk,
            site.name,
            site.organisation.name,
            site.food_bank.name,
            site.postal_code,
            site.prefecture,
            site.municipality,
            site.municipality_code,
            site.regional_bureau,
            site.address,
            site.building,
            site.opening_hours,
            site.phone,
        ]


def descriptor(csv_url: str) -> dict:
    """A Frictionless Data Resource with its Table Schema."""
    return {
        "profile": "tabular-data-resource",
        "name": "emergency-food-windows",
        "title": "Consultation windows that hold emergency food",
        "path": csv_url,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8-sig",
        "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "header": True},
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "schema": {
            "fields": [
                {"name": name, "type": kind, "description": description}
                for name, kind, description in COLUMNS
            ],
            "primaryKey": "id",
        },
    }
