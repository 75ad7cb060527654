"""Yamato Transport through B2 Cloud: the 基本レイアウト import CSV and the issued-data round trip.

B2 Cloud is file based (docs/spec.md §3.4): the system writes a batch as B2's standard import CSV
(95 columns, cp932, CRLF, a header row, limits counted in cp932 bytes, JIS X 0208 level 1/2 only),
staff import it in B2 Cloud and print the labels, B2 assigns each parcel a 12-digit tracking number,
and staff upload B2's issued-data CSV (same layout, 伝票番号 filled) so the numbers are matched back
by column 1 (お客様管理番号 = our reference). docs/shipping-b2.md lists the columns, the sources
they were checked against, the character mapping table and the rules.

Rules that are decisions, not B2 facts:
- A value that is too long is never truncated: the parcel is held back with a ``too_long`` problem
  naming the field, its length and the limit. A cut address or name can send a week of food to the
  wrong door; staff shorten it (e.g. move the building into the building field) and re-export.
- Characters outside JIS X 0208 are mapped when ``jis.VARIANTS`` knows an accepted form (reported as
  a ``mapped_character`` warning, exported) and held back otherwise (``unmappable_character``).
- A parcel of several boxes (``count`` > 1) is written as one row per box, 送り状種類 6 (発払い
  複数口) under one 複数口くくりキー, each box under its own お客様管理番号 (``box_reference``): B2
  gives every box its own tracking number, and the issued data is matched back box by box.

One module per capability:

- ``layout``: B2's 95 columns, the column numbers written, the fixed codes;
- ``addresses``: splitting an address as B2 does (都道府県, 市区郡町村, 町・番地);
- ``checks``: one field against B2's rules (JIS characters, cp932 lengths, phones, postal codes);
- ``tracking``: reading the issued-data CSV back, tracking numbers and their check digit;
- ``carrier``: ``YamatoB2``, validating parcels and the account and writing the batch CSV.

The public names are re-exported here.
"""

from .addresses import split_address
from .carrier import YamatoB2
from .layout import COLUMNS, Column
from .tracking import is_valid_tracking_number

__all__ = ["COLUMNS", "Column", "YamatoB2", "is_valid_tracking_number", "split_address"]
