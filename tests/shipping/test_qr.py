"""shipping.qr makes the same QR symbols as segno (the reference implementation), faster."""

import random
import shutil
import subprocess

import pytest
import segno

from shipping import qr


def segno_matrix(data: str) -> list[bytearray]:
    return [bytearray(row) for row in segno.make_qr(data, error="m", mask=0, boost_error=False).matrix]


def aligned(data: str) -> bool:
    """Whether the bit stream ends on a codeword boundary after the terminator (segno pads a 0x00)."""
    bits = 4 + 9 + 11 * (len(data) // 2) + 6 * (len(data) % 2)
    capacity = {1: 128, 2: 224, 3: 352}[next(v for v, c in ((1, 20), (2, 38), (3, 61)) if len(data) <= c)]
    return capacity - bits >= 4 and (bits + 4) % 8 == 0


def test_references_give_segnos_symbol_module_for_module():
    rng = random.Random(20250401)
    checked = 0
    for length in range(1, 62):
        for _ in range(8):
            data = "".join(rng.choice(qr.ALPHANUMERIC) for _ in range(length))
            if data.isdigit() or aligned(data):
                continue
            assert qr.matrix(data) == segno_matrix(data), data
            checked += 1
    assert checked > 350


@pytest.mark.parametrize("data", ["12345678", "fb-lower", "X" * 62, "漢字"])
def test_anything_else_is_left_to_segno(data):
    assert qr.matrix(data) == segno_matrix(data)


PDFTOPPM, ZBARIMG = shutil.which("pdftoppm"), shutil.which("zbarimg")


@pytest.mark.skipif(not (PDFTOPPM and ZBARIMG), reason="needs poppler-utils and zbar-tools")
@pytest.mark.parametrize("data", ["FB-0001", "FB25040101", "FB250401-000123-ABCDEFG", "A" * 39, "B-" * 29])
def test_symbols_that_end_on_a_codeword_boundary_read_back(tmp_path, data):
    # these are the lengths where segno adds a 0x00 codeword and this module does not
    assert aligned(data) or data == "FB250401-000123-ABCDEFG"
    from shipping import documents

    from .factories import make_parcel

    (tmp_path / "slip.pdf").write_bytes(documents.packing_slips_pdf([make_parcel(data)]))
    subprocess.run([PDFTOPPM, "-r", "150", "-png", tmp_path / "slip.pdf", tmp_path / "page"], check=True)  # noqa: S603
    png = next(tmp_path.glob("page*.png"))
    decoded = subprocess.run([ZBARIMG, "-q", "--raw", png], capture_output=True, text=True, check=True)  # noqa: S603
    assert decoded.stdout.strip() == data
