"""QR code matrices for parcel references, fast: the one case the packing slips need, specialised.

A slip carries the parcel reference (upper-case letters, digits, hyphens: QR's alphanumeric mode)
as a QR code of error-correction level M with mask pattern 0. segno makes the same symbol in about
four times the time, which matters at 10,000 slips a batch. ``matrix`` encodes versions 1–3
(references up to 61 characters) with tables computed once, and hands anything else to segno.
tests/shipping/test_qr.py checks module for module that both give the same symbol, except where
segno departs from ISO/IEC 18004 7.4.10: when the bit stream already ends on a codeword boundary after
the terminator, segno adds a 0x00 codeword before the pad codewords; this module adds none (readers
ignore everything after the terminator, and both read the same).

ISO/IEC 18004 allows any of the eight masks; the penalty evaluation that chooses among them only
tunes contrast, and costs more than the rest of the encoding.
"""

import operator

import segno

__all__ = ["ALPHANUMERIC", "matrix", "rows"]

ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {c: i for i, c in enumerate(ALPHANUMERIC)}

# version: (size, data codewords, error-correction codewords, alignment centre or None) at level M,
# one block each for versions 1–3.
_VERSIONS = {1: (21, 16, 10, None), 2: (25, 28, 16, 18), 3: (29, 44, 26, 22)}
_CAPACITY = {1: 20, 2: 38, 3: 61}  # alphanumeric characters at level M
_FORMAT_BITS = 0x5412  # level M (00), mask 0 (000): BCH code 0, XOR the format mask

# GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
_EXP = [0] * 512
_LOG = [0] * 256
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


def _generator(degree: int) -> list[int]:
    poly = [1]
    for i in range(degree):
        nxt = [0] * (len(poly) + 1)
        for j, coef in enumerate(poly):
            nxt[j] ^= coef
            if coef:
                nxt[j + 1] ^= _EXP[_LOG[coef] + i]
        poly = nxt
    return [_LOG[c] for c in poly[1:]]  # as logarithms, leading 1 dropped


def _template(version: int):
    """Function patterns of a symbol (modules and which of them are function modules)."""
    size, _data, _ec, align = _VERSIONS[version]
    modules = [bytearray(size) for _ in range(size)]
    function = [bytearray(size) for _ in range(size)]

    def put(row: int, col: int, dark: bool) -> None:
        modules[row][col] = 1 if dark else 0
        function[row][col] = 1

    for i in range(size):
        put(6, i, i % 2 == 0)
        put(i, 6, i % 2 == 0)
    for cy, cx in ((3, 3), (3, size - 4), (size - 4, 3)):
        for dy in range(-4, 5):
            for dx in range(-4, 5):
                row, col = cy + dy, cx + dx
                if 0 <= row < size and 0 <= col < size:
                    put(row, col, max(abs(dx), abs(dy)) not in (2, 4))
    if align is not None:
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                put(align + dy, align + dx, max(abs(dx), abs(dy)) != 1)
    bits = [(_FORMAT_BITS >> i) & 1 for i in range(15)]
    for i in range(6):
        put(i, 8, bits[i])
    put(7, 8, bits[6])
    put(8, 8, bits[7])
    put(8, 7, bits[8])
    for i in range(9, 15):
        put(8, 14 - i, bits[i])
    for i in range(8):
        put(8, size - 1 - i, bits[i])
    for i in range(8, 15):
        put(size - 15 + i, 8, bits[i])
    put(size - 8, 8, True)  # the dark module
    # Data module positions in placement order, each with its mask-0 bit ((row + col) even).
    order: list[tuple[int, int, int]] = []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        upward = ((right + 1) & 2) == 0
        for vert in range(size):
            row = size - 1 - vert if upward else vert
            for j in range(2):
                col = right - j
                if not function[row][col]:
                    order.append((row, col, 1 if (row + col) % 2 == 0 else 0))
        right -= 2
    return tuple(bytes(r) for r in modules), tuple(order)


def _tables(version: int):
    """Precomputed placement of a version: the symbol is one ``itemgetter`` over the data bits in
    placement order (mask applied as one integer XOR) followed by the function modules."""
    base, order = _template(version)
    size = _VERSIONS[version][0]
    count = len(order)
    mask = 0
    where = {}
    for i, (row, col, bit) in enumerate(order):
        mask = (mask << 1) | bit
        where[row * size + col] = i
    base_flat = "".join("1" if m else "0" for r in base for m in r)
    picks = [where.get(cell, count + cell) for cell in range(size * size)]
    # Reed-Solomon: the remainder as an integer of ``degree`` bytes; one table lookup per codeword.
    generator = _generator(_VERSIONS[version][2])
    degree = len(generator)
    products = []
    for factor in range(256):
        value = 0
        for g in generator:
            value = (value << 8) | (_EXP[g + _LOG[factor]] if factor else 0)
        products.append(value)
    return size, count, mask, base_flat, operator.itemgetter(*picks), degree, products


_TABLES = {v: _tables(v) for v in _VERSIONS}


def _codewords(data: str, version: int) -> list[int]:
    _size, n_data, _n_ec, _align = _VERSIONS[version]
    value = 0b0010  # alphanumeric mode
    length = 4
    value = (value << 9) | len(data)
    length += 9
    for i in range(0, len(data) - 1, 2):
        value = (value << 11) | (_VALUE[data[i]] * 45 + _VALUE[data[i + 1]])
        length += 11
    if len(data) % 2:
        value = (value << 6) | _VALUE[data[-1]]
        length += 6
    capacity = n_data * 8
    terminator = min(4, capacity - length)
    value <<= terminator
    length += terminator
    pad = (-length) % 8
    value <<= pad
    length += pad
    words = list(value.to_bytes(length // 8, "big"))
    filler = (0xEC, 0x11)
    words.extend(filler[i % 2] for i in range(n_data - len(words)))
    return words


def _fast(data: str) -> bool:
    # Digits only: segno uses the denser numeric mode; keep its symbol.
    return bool(data) and not data.isdigit() and len(data) <= _CAPACITY[3] and all(c in _VALUE for c in data)


def rows(data: str) -> list[str]:
    """Rows of the symbol as strings of "0" and "1" (1 = dark), top row first, no quiet zone."""
    if _fast(data):
        version = next(v for v in (1, 2, 3) if len(data) <= _CAPACITY[v])
        size, count, mask, base_flat, pick, degree, products = _TABLES[version]
        words = _codewords(data, version)
        remainder = 0
        top = 8 * (degree - 1)
        full = (1 << (8 * degree)) - 1
        for word in words:
            remainder = ((remainder << 8) & full) ^ products[word ^ (remainder >> top)]
        bits = (int.from_bytes(bytes(words), "big") << (8 * degree)) | remainder
        n = (len(words) + degree) * 8
        placed = format(((bits << (count - n)) ^ mask), f"0{count}b")  # remainder bits are 0
        flat = "".join(pick(placed + base_flat))
        return [flat[i : i + size] for i in range(0, size * size, size)]
    symbol = segno.make_qr(data, error="m", mask=0, boost_error=False).matrix
    return ["".join("1" if m else "0" for m in r) for r in symbol]


def matrix(data: str) -> list[bytearray]:
    """Rows of the symbol (1 = dark), top row first, without the quiet zone."""
    if _fast(data):
        return [bytearray(row.encode().translate(_BITS)) for row in rows(data)]
    return [bytearray(r) for r in segno.make_qr(data, error="m", mask=0, boost_error=False).matrix]


_BITS = bytes.maketrans(b"01", b"\x00\x01")
