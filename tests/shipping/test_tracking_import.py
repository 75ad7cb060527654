"""B2 Cloud's issued-data CSV back into the system: match column 1, take column 4, check it."""

import csv
import io

import pytest

from shipping.carriers.yamato import is_valid_tracking_number
from shipping.exceptions import TrackingFileUnreadable, TrackingNotSupported

from .factories import make_parcel

REFS = ("FB-001", "FB-002", "FB-003")


def number(first_eleven: int) -> str:
    """A tracking number with a correct check digit."""
    return f"{first_eleven:011d}{first_eleven % 7}"


GOOD = {"FB-001": number(39045998308), "FB-002": number(39045998309), "FB-003": number(39045998310)}


def issued_csv(yamato, account, numbers: list[tuple[str, str]], *, header: bool = True) -> bytes:
    """B2's issued data: our export with 伝票番号 (column 4) filled, one row per (reference, number)."""
    exported = yamato.export_batch([make_parcel(ref) for ref in dict(numbers)], account=account).content
    rows = list(csv.reader(io.StringIO(exported.decode("cp932"), newline="")))
    template = {row[0]: row for row in rows[1:]}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(rows[0])
    for reference, tracking in numbers:
        row = list(template.get(reference, rows[1]))
        row[0], row[3] = reference, tracking
        writer.writerow(row)
    return out.getvalue().encode("cp932")


def run(yamato, data: bytes, assigned=None):
    return yamato.import_tracking(data, known_references=REFS, assigned_numbers=assigned or {})


def test_check_digit_is_the_first_eleven_digits_mod_7():
    assert is_valid_tracking_number("390459983082")  # 39045998308 % 7 == 2
    assert not is_valid_tracking_number("390459983083")
    assert not is_valid_tracking_number("39045998308")
    assert not is_valid_tracking_number("３９０４５９９８３０８２")


def test_issued_numbers_are_matched_by_reference(yamato, account):
    # given B2's issued data for the three parcels (with its header row)
    data = issued_csv(yamato, account, list(GOOD.items()))
    # when imported
    result = run(yamato, data)
    # then every parcel gets its number and nothing is rejected
    assert result.matched == tuple(GOOD.items())
    assert result.rejected == ()
    assert result.as_dict() == {
        "matched": [{"reference": ref, "tracking_number": num} for ref, num in GOOD.items()],
        "rejected": [],
    }


def test_a_bad_check_digit_is_rejected_with_its_row(yamato, account):
    bad = GOOD["FB-002"][:11] + str((int(GOOD["FB-002"][11]) + 1) % 10)
    data = issued_csv(
        yamato, account, [("FB-001", GOOD["FB-001"]), ("FB-002", bad), ("FB-003", GOOD["FB-003"])]
    )
    result = run(yamato, data)
    assert result.matched == (("FB-001", GOOD["FB-001"]), ("FB-003", GOOD["FB-003"]))
    assert [(r.row, r.reason, r.reference, r.number) for r in result.rejected] == [
        (3, "bad_check_digit", "FB-002", bad)
    ]


def test_an_unknown_reference_is_rejected(yamato, account):
    data = issued_csv(yamato, account, [("FB-001", GOOD["FB-001"]), ("FB-999", GOOD["FB-002"])])
    result = run(yamato, data)
    assert result.matched == (("FB-001", GOOD["FB-001"]),)
    assert [(r.row, r.reason, r.reference) for r in result.rejected] == [(3, "unknown_reference", "FB-999")]


def test_a_number_on_two_parcels_rejects_both_rows(yamato, account):
    same = GOOD["FB-001"]
    data = issued_csv(yamato, account, [("FB-001", same), ("FB-002", same), ("FB-003", GOOD["FB-003"])])
    result = run(yamato, data)
    assert result.matched == (("FB-003", GOOD["FB-003"]),)
    assert [(r.row, r.reason) for r in result.rejected] == [(2, "duplicate_number"), (3, "duplicate_number")]


def test_a_number_already_stored_on_another_parcel_is_rejected(yamato, account):
    data = issued_csv(yamato, account, [("FB-001", GOOD["FB-001"]), ("FB-002", GOOD["FB-002"])])
    result = run(yamato, data, assigned={GOOD["FB-002"]: "FB-003", GOOD["FB-001"]: "FB-001"})
    # FB-001's number is already its own: re-importing matches it again (harmless)
    assert result.matched == (("FB-001", GOOD["FB-001"]),)
    assert [(r.row, r.reason) for r in result.rejected] == [(3, "number_already_assigned")]


def test_a_repeated_row_is_matched_once(yamato, account):
    data = issued_csv(yamato, account, [("FB-001", GOOD["FB-001"]), ("FB-001", GOOD["FB-001"])])
    result = run(yamato, data)
    assert result.matched == (("FB-001", GOOD["FB-001"]),)
    assert [(r.row, r.reason) for r in result.rejected] == [(3, "duplicate_row")]


def test_a_reference_with_two_numbers_is_rejected_entirely(yamato, account):
    data = issued_csv(yamato, account, [("FB-001", GOOD["FB-001"]), ("FB-001", GOOD["FB-002"])])
    result = run(yamato, data)
    assert result.matched == ()
    assert [(r.row, r.reason) for r in result.rejected] == [
        (2, "ambiguous_reference"),
        (3, "ambiguous_reference"),
    ]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [("", "missing_number"), ("3.90460E+11", "malformed_number"), ("12345", "malformed_number")],
)
def test_missing_and_malformed_numbers_are_rejected(yamato, account, raw, reason):
    result = run(yamato, issued_csv(yamato, account, [("FB-001", raw)]))
    assert result.matched == ()
    assert [(r.row, r.reason) for r in result.rejected] == [(2, reason)]


def test_hyphenated_numbers_and_a_file_without_header_are_accepted(yamato, account):
    hyphenated = f"{GOOD['FB-001'][:4]}-{GOOD['FB-001'][4:8]}-{GOOD['FB-001'][8:]}"
    result = run(yamato, issued_csv(yamato, account, [("FB-001", hyphenated)], header=False))
    assert result.matched == (("FB-001", GOOD["FB-001"]),)


def test_short_rows_and_blank_lines(yamato):
    data = "お客様管理番号,送り状種類,クール区分,伝票番号\r\n\r\nFB-001,0\r\n".encode("cp932")
    result = run(yamato, data)
    assert [(r.row, r.reason) for r in result.rejected] == [(3, "malformed_row")]


def test_a_utf8_file_saved_by_a_spreadsheet_is_read_too(yamato, account):
    text = issued_csv(yamato, account, [("FB-001", GOOD["FB-001"])]).decode("cp932")
    result = run(yamato, text.encode("utf-8-sig"))
    assert result.matched == (("FB-001", GOOD["FB-001"]),)


@pytest.mark.parametrize("data", [b"PK\x03\x04\x00\x00binary", b"\xff\xfe\xfa\xfb\x81"])
def test_a_file_that_is_not_a_csv_is_refused(yamato, data):
    with pytest.raises(TrackingFileUnreadable) as refusal:
        run(yamato, data)
    assert refusal.value.code == "tracking_file_unreadable"
    assert refusal.value.status_code == 400


def test_tracking_url(yamato, local):
    assert yamato.tracking_url("3904-5998-3082") == (
        "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01=390459983082"
    )
    assert yamato.tracking_url("390459983083") is None
    assert local.tracking_url("390459983082") is None


def test_the_local_carrier_has_no_tracking_numbers(local):
    with pytest.raises(TrackingNotSupported):
        local.import_tracking(b"", known_references=(), assigned_numbers={})


def test_assigned_numbers_may_be_a_plain_set(yamato, account):
    data = issued_csv(yamato, account, [("FB-001", GOOD["FB-001"]), ("FB-002", GOOD["FB-002"])])
    result = yamato.import_tracking(data, known_references=REFS, assigned_numbers={GOOD["FB-002"]})
    assert result.matched == (("FB-001", GOOD["FB-001"]),)
    assert [(r.row, r.reason) for r in result.rejected] == [(3, "number_already_assigned")]
