"""Formula injection in the B2 Cloud CSV (issue #21, item 2): a free-text value that a spreadsheet
would run as a formula holds its parcel back (B2 Cloud prints these columns on the label and
refuses a leading apostrophe in some); structured columns cannot carry one
(docs/shipping-b2.md, "Formula characters")."""

import csv
import io

import pytest

from foodbank.exports import FORMULA_PREFIXES

from .factories import make_account, make_parcel, make_sender, with_


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("cp932"), newline="")))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("recipient_name", "=1+1"),
        ("recipient_name", '=HYPERLINK("http://example.invalid","x")'),
        ("recipient_name", "＝1+1"),
        ("recipient_name", "+81"),
        ("recipient_company", "-2+3"),
        ("recipient_address", "@SUM(1)"),
        ("recipient_building", "@SUM(1)"),
        ("recipient_building", "-1+1号室"),
        ("recipient_name_kana", "-ｻﾄｳ"),
        ("item_names", ("=cmd|'/c calc'!A1",)),
        ("handling", ("+ナマモノ",)),
    ],
)
def test_a_formula_like_value_holds_the_parcel_back(yamato, account, field, value):
    # given one clean parcel and one with a formula-like value in a free-text column
    clean = make_parcel("FB-OK")
    bad = with_(make_parcel("FB-BAD"), **{field: value})

    # when the batch is exported
    result = yamato.export_batch([clean, bad], account=account)

    # then the bad parcel is held back with the field and a stable code, and is nowhere in the file
    assert result.exported == ("FB-OK",)
    (held,) = result.held_back
    assert held.reference == "FB-BAD"
    assert [(p.field, p.code) for p in held.problems] == [(field, "formula_like")]
    text = result.content.decode("cp932")
    assert "FB-BAD" not in text
    for row in rows_of(result.content)[1:]:
        assert not any(cell.startswith(FORMULA_PREFIXES) for cell in row), row


@pytest.mark.parametrize("placeholder", ["-", "－", "ー", " - "])
def test_a_dash_for_no_building_is_written_blank(yamato, account, placeholder):
    result = yamato.export_batch([make_parcel(recipient_building=placeholder)], account=account)

    assert result.held_back == ()
    assert rows_of(result.content)[1][12] == ""  # お届け先アパートマンション名


def test_a_formula_like_sender_makes_the_account_incomplete(yamato):
    account = make_account(sender=make_sender(name="=1+1"))

    problems = yamato.validate_account(account)

    assert ("sender.name", "formula_like") in [(p.field, p.code) for p in problems]


def test_structured_columns_never_start_with_a_formula_character(yamato, account):
    # a phone written with a leading hyphen or plus, a full-width postal code: normalised to
    # digits first, so the cell starts with a digit
    parcel = make_parcel(recipient_phone="-090-1234-5678", recipient_postal_code="－0600001")

    result = yamato.export_batch([parcel], account=account)

    assert result.held_back == ()
    row = rows_of(result.content)[1]
    assert (row[8], row[10]) == ("090-1234-5678", "060-0001")
    assert not any(cell.startswith(FORMULA_PREFIXES) for cell in row)
