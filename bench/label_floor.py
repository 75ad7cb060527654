"""Label floor: raw reportlab drawing N label pages, beside shipping.documents drawing the same N.

docs/spec.md §7 measures a 10,000-parcel dispatch batch against "the time raw reportlab needs to draw the
same 10,000 labels". ``raw_reportlab_labels`` is that floor: the plainest reportlab code (a Canvas,
``drawString`` per field, default settings), drawing the same parcels and fields as
``shipping.documents.write_address_labels`` with the same embedded font (font registration is not
timed: both register it once per process). The batch benchmark imports ``raw_reportlab_labels`` and
``time_labels`` to print its floor in the same run.

Run: python bench/label_floor.py [N]   (default 10000; prints figures, never passes or fails)
"""

import gc
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "foodbank.settings")

import django

django.setup()

from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from shipping import documents  # noqa: E402
from shipping.carriers import ParcelData, SenderData, get_carrier  # noqa: E402
from shipping.fonts import register_font  # noqa: E402
from shipping.samples import sample_account, sample_parcels  # noqa: E402


def raw_reportlab_labels(parcels: list[ParcelData], out, *, sender: SenderData) -> int:
    """The floor: one label page per parcel with reportlab's plain API and defaults."""
    font = register_font()
    width, height = documents.LABEL_SIZE
    c = canvas.Canvas(out, pagesize=documents.LABEL_SIZE)
    for p in parcels:
        c.rect(3 * mm, 3 * mm, width - 6 * mm, height - 6 * mm)
        c.line(3 * mm, 52 * mm, width - 3 * mm, 52 * mm)
        c.line(3 * mm, 30 * mm, width - 3 * mm, 30 * mm)
        c.setFont(font, 13)
        c.drawString(6 * mm, 134 * mm, "〒" + p.recipient_postal_code)
        c.setFont(font, 12)
        c.drawString(6 * mm, 126 * mm, p.recipient_address)
        c.drawString(6 * mm, 120 * mm, p.recipient_building)
        c.setFont(font, 20)
        c.drawString(6 * mm, 96 * mm, p.recipient_name + " 様")
        c.setFont(font, 10)
        c.drawString(6 * mm, 88 * mm, "TEL " + p.recipient_phone)
        c.drawString(22 * mm, 47 * mm, f"{p.delivery_date} {p.time_slot}")
        c.drawString(6 * mm, 35 * mm, f"出荷日 {p.ship_date}")
        c.drawRightString(width - 6 * mm, 41 * mm, p.reference)
        c.drawRightString(width - 6 * mm, 35 * mm, "1/1")
        c.setFont(font, 9)
        c.drawString(6 * mm, 20.5 * mm, f"{sender.postal_code} {sender.address}")
        c.setFont(font, 10)
        c.drawString(6 * mm, 15.5 * mm, sender.name)
        c.drawString(6 * mm, 10.5 * mm, "TEL " + sender.phone)
        c.showPage()
    c.save()
    return len(parcels)


def time_labels(draw, parcels, sender) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, bytes) for one run of ``draw(parcels, out, sender=sender)``."""
    gc.collect()
    out = io.BytesIO()
    wall, cpu = time.perf_counter(), time.process_time()
    draw(parcels, out, sender=sender)
    return time.perf_counter() - wall, time.process_time() - cpu, len(out.getvalue())


def main(n: int) -> None:
    parcels = sample_parcels(n)
    sender = sample_account().sender
    register_font()
    print(f"{n} label pages, best of 2 runs each (wall / CPU seconds, PDF size)")
    results = {}
    for name, draw in (
        ("raw reportlab (floor)", raw_reportlab_labels),
        ("shipping.documents labels", documents.write_address_labels),
    ):
        runs = [time_labels(draw, parcels, sender) for _ in range(2)]
        best = min(runs)
        results[name] = best
        print(f"  {name:28s} {best[0]:6.2f} s wall  {best[1]:6.2f} s CPU  {best[2] / 1e6:5.1f} MB")
    floor, ours = results["raw reportlab (floor)"], results["shipping.documents labels"]
    print(f"  ratio (ours / floor): {ours[0] / floor[0]:.2f} wall, {ours[1] / floor[1]:.2f} CPU")
    account = sample_account()
    yamato = get_carrier("yamato")
    others = {}
    for name, draw in (
        (
            "B2 CSV export",
            lambda ps, out, sender: out.write(yamato.export_batch(ps, account=account).content),
        ),
        ("packing slips (QR)", lambda ps, out, sender: documents.write_packing_slips(ps, out)),
        (
            "pick list",
            lambda ps, out, sender: documents.write_pick_list(
                ps, out, title="bench", ship_date=ps[0].ship_date
            ),
        ),
        (
            "manifest",
            lambda ps, out, sender: documents.write_manifest(
                ps, out, carrier_name="bench", sender=sender, ship_date=ps[0].ship_date
            ),
        ),
    ):
        others[name] = time_labels(draw, parcels, sender)
        wall, cpu, size = others[name]
        print(f"  {name:28s} {wall:6.2f} s wall  {cpu:6.2f} s CPU  {size / 1e6:5.1f} MB")
    yamato_batch = sum(v[1] for v in others.values())
    print(
        f"  Yamato batch (CSV, slips, pick list, manifest), one process: {yamato_batch:.2f} s CPU"
        f" = {yamato_batch / floor[1]:.2f} × floor"
    )
    local_batch = yamato_batch - others["B2 CSV export"][1] + ours[1]
    print(
        f"  local batch (labels, slips, pick list, manifest), one process: {local_batch:.2f} s CPU"
        f" = {local_batch / floor[1]:.2f} × floor"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
