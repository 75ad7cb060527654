"""The system's PDFs: they open, have the expected pages, embed the Japanese font, carry the data."""

import io
import shutil
import subprocess
from dataclasses import replace

import pytest
from pypdf import PdfReader
from reportlab import rl_config

from shipping import documents
from shipping.carriers import ContentLine, PackingNotes
from shipping.samples import sample_parcels

from .factories import SHIP_DATE, make_parcel, make_sender


def read(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def embedded_truetype_fonts(reader: PdfReader) -> set[str]:
    """BaseFont names of fonts whose descriptor embeds a TrueType program (FontFile2)."""
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor.get_object():
                names.add(str(font["/BaseFont"]))
    return names


def text_of(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_labels_have_one_page_per_box_and_embed_the_font():
    # given two parcels, one of them two boxes
    parcels = [make_parcel("FB-001"), make_parcel("FB-002", count=2, recipient_name="高橋 一郎")]
    # when the labels are drawn
    pdf = documents.address_labels_pdf(parcels, sender=make_sender())
    # then three pages, with the Japanese font embedded as TrueType
    reader = read(pdf)
    assert len(reader.pages) == 3
    assert embedded_truetype_fonts(reader)
    text = text_of(reader)
    assert "佐藤 花子" in text
    assert "高橋 一郎" in text
    assert "〒060-0001" in text
    assert "FB-002" in text
    assert "2/2" in text
    assert "SK物流センター" in text  # the neutral sender name, on every label


def test_packing_slips_have_one_page_per_parcel_with_the_notes():
    parcels = [make_parcel("FB-001"), make_parcel("FB-002", notes=PackingNotes())]
    reader = read(documents.packing_slips_pdf(parcels, title="2025/04/01"))
    assert len(reader.pages) == 2
    assert embedded_truetype_fonts(reader)
    first = reader.pages[0].extract_text()
    assert "FB-001" in first
    assert "1週間分セット" in first
    assert "おむつ M" in first
    assert "卵" in first


def test_a_very_long_packing_list_continues_on_a_second_page_without_losing_lines():
    lines = tuple(ContentLine(f"品目{i:02d}", 1) for i in range(40))
    reader = read(documents.packing_slips_pdf([make_parcel(notes=PackingNotes(contents=lines))]))
    assert len(reader.pages) == 2
    text = text_of(reader)
    assert all(f"品目{i:02d}" in text for i in range(40))


PDFTOPPM, ZBARIMG = shutil.which("pdftoppm"), shutil.which("zbarimg")


@pytest.mark.skipif(not (PDFTOPPM and ZBARIMG), reason="needs poppler-utils and zbar-tools")
def test_the_qr_code_on_a_slip_decodes_to_the_reference(tmp_path):
    (tmp_path / "slip.pdf").write_bytes(documents.packing_slips_pdf([make_parcel("FB250401-000123")]))
    # Fixed argument lists with tools resolved on PATH: nothing untrusted reaches the commands.
    subprocess.run([PDFTOPPM, "-r", "150", "-png", tmp_path / "slip.pdf", tmp_path / "page"], check=True)  # noqa: S603
    png = next(tmp_path.glob("page*.png"))
    decoded = subprocess.run([ZBARIMG, "-q", "--raw", png], capture_output=True, text=True, check=True)  # noqa: S603
    assert decoded.stdout.strip() == "FB250401-000123"


def test_pick_list_totals_per_pack_type_and_item():
    home = ContentLine("1週間分セット", 1, "home", "home", "箱")
    day3 = ContentLine("3日分セット", 2, "day3", "day3", "袋")
    diapers = ContentLine("おむつ M", 1, "", "diapers-m", "袋")
    parcels = [
        make_parcel(
            "A", notes=PackingNotes(contents=(home,), extras=(diapers,), no_cook=True, allergies="卵")
        ),
        make_parcel("B", notes=PackingNotes(contents=(home, day3), extras=(diapers, diapers))),
        make_parcel("C", count=2, notes=PackingNotes(contents=(day3,))),
    ]
    rows, figures = documents.pick_list_rows(parcels)
    assert [(r.pack_type, r.name, r.quantity, r.unit, r.parcels) for r in rows] == [
        ("day3", "3日分セット", 4, "袋", 2),
        ("home", "1週間分セット", 2, "箱", 2),
        ("", "おむつ M", 3, "袋", 2),
    ]
    assert figures == {"parcels": 3, "boxes": 4, "no_cook": 1, "allergies": 1}
    pdf = documents.pick_list_pdf(parcels, title="4/1", ship_date=SHIP_DATE, pack_type_names={"home": "宅配"})
    reader = read(pdf)
    assert len(reader.pages) == 1
    assert "宅配" in text_of(reader)
    assert "3日分セット" in text_of(reader)


def test_manifest_lists_every_parcel_without_names_and_paginates():
    parcels = sample_parcels(45)
    numbers = {parcels[0].reference: "390459983082"}
    pdf = documents.manifest_pdf(
        parcels,
        carrier_name="ヤマト運輸",
        sender=make_sender(),
        ship_date=SHIP_DATE,
        tracking_numbers=numbers,
    )
    reader = read(pdf)
    assert len(reader.pages) == 2
    text = text_of(reader)
    assert all(p.reference in text for p in parcels)
    assert "3904-5998-3082" in text
    assert parcels[0].recipient_name not in text  # the list counts boxes; labels carry names


def test_documents_are_deterministic_and_leave_reportlab_settings_alone():
    parcels = sample_parcels(5)
    before = rl_config.useA85
    first = documents.packing_slips_pdf(parcels)
    assert documents.packing_slips_pdf(parcels) == first
    assert rl_config.useA85 == before


def test_write_functions_stream_to_a_file_and_count_pages(tmp_path):
    parcels = [replace(p, count=1) for p in sample_parcels(12)]
    with (tmp_path / "labels.pdf").open("wb") as out:
        pages = documents.write_address_labels(parcels, out, sender=make_sender())
    assert pages == 12
    assert len(PdfReader(tmp_path / "labels.pdf").pages) == 12


def test_benchmark_hook_draws_n_labels():
    out = io.BytesIO()
    assert documents.benchmark_labels(7, out) == 7
    assert len(read(out.getvalue()).pages) == 7


def test_a_parcel_of_two_boxes_gets_a_slip_per_box_that_together_list_its_contents():
    # given a parcel of two boxes: three home packs and a 3-day set, two to a box, and diapers
    home = ContentLine("1週間分セット", 3, "home", "home", "箱", per_box=2)
    day3 = ContentLine("3日分セット", 1, "day3", "day3", "袋", per_box=2)
    diapers = ContentLine("紙おむつ M", 2, "", "diapers-m", "袋")
    notes = PackingNotes(contents=(home, day3), extras=(diapers,), allergies="えび", notes=("えびを除く",))
    parcels = [make_parcel("FB-001"), make_parcel("FB-002", count=2, notes=notes)]
    # when the slips are drawn
    reader = read(documents.packing_slips_pdf(parcels))
    # then one page for the one-box parcel, without a box number, and one per box of the other
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) == 3
    assert "1/1" not in pages[0]
    assert "箱 1/" not in pages[0]
    first, second = pages[1], pages[2]
    assert "箱 1/2" in first
    assert "箱 2/2" in second
    # each names the parcel, carries its allergies, notes and 転売禁止
    for page in (first, second):
        assert "FB-002" in page
        assert "えび" in page
        assert "えびを除く" in page
        assert "転売禁止" in page
    # and between them they list the parcel's contents exactly: box 1 filled first, extras in the last
    assert "1週間分セット × 2箱" in first
    assert "3日分セット" not in first
    assert "紙おむつ M" not in first
    assert "1週間分セット × 1箱" in second
    assert "3日分セット × 1袋" in second
    assert "紙おむつ M × 2袋" in second


def test_a_long_list_in_a_box_of_several_says_both_the_box_and_the_page():
    lines = tuple(ContentLine(f"品目{i:02d}", 1, per_box=40) for i in range(40))
    reader = read(documents.packing_slips_pdf([make_parcel(count=2, notes=PackingNotes(contents=lines))]))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) == 3  # box 1 holds 39 lines over two pages, box 2 one line
    assert "箱 1/2" in pages[0]
    assert "箱 1/2" in pages[1]
    assert "箱 2/2" in pages[2]
    assert all(f"品目{i:02d}" in "\n".join(pages) for i in range(40))
