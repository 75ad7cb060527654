"""display_phone: the fast path for mobile-style numbers writes what phonenumbers writes."""

import phonenumbers
import pytest

from referrals.validation import display_phone


def _phonenumbers(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.NATIONAL)


@pytest.mark.parametrize("prefix", ["20", "50", "70", "80", "90"])
def test_mobile_style_numbers_are_written_as_phonenumbers_writes_them(prefix):
    # given each digit after the prefix with a few subscriber numbers
    numbers = [f"+81{prefix}{d}{tail}" for d in "0123456789" for tail in ("0000000", "1234567", "9876543")]

    # then the fast path and phonenumbers agree on each
    assert [display_phone(n) for n in numbers] == [_phonenumbers(n) for n in numbers]


@pytest.mark.parametrize(
    ("e164", "written"),
    [
        ("+819012345678", "090-1234-5678"),
        ("+818001234567", "0800-123-4567"),  # toll-free: not the mobile pattern
        ("+81115550100", "011-555-0100"),
        ("+81312345678", "03-1234-5678"),
        ("", ""),
        ("011-555-0100", "011-555-0100"),  # not E.164: left as it is
    ],
)
def test_other_numbers_go_through_phonenumbers(e164, written):
    assert display_phone(e164) == written
