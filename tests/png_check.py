#!/usr/bin/env python3
"""Checks a PNG rendered from an `ascent fit` plot (standard library only: zlib + the PNG filters).

Usage: png_check.py FILE.png COLOUR... where COLOUR is #rrggbb (each run's colour in plot order). Asserts the
image is mostly white but not blank, that each run colour covers a curve's worth of pixels on both sides of
the middle of the plot (the fit over the data and its dashed extrapolation), and that the bootstrap band (the
run colour at 18% over white) is drawn.
"""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), f"unsupported PNG depth {depth} type {ctype}"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return rows


def near(p, q, tol):
    return all(abs(a - b) <= tol for a, b in zip(p, q))


def main():
    rows = read_png(sys.argv[1])
    h, w = len(rows), len(rows[0])
    white = sum(1 for r in rows for p in r if p == (255, 255, 255))
    assert 0.5 < white / (h * w) < 0.995, f"white share {white / (h * w):.3f}: blank or garbled"
    for hexcol in sys.argv[2:]:
        col = tuple(int(hexcol[i:i + 2], 16) for i in (1, 3, 5))
        band = tuple(round(255 + 0.18 * (c - 255)) for c in col)
        left = sum(1 for r in rows for p in r[: w // 2] if near(p, col, 40))
        right = sum(1 for r in rows for p in r[w // 2:] if near(p, col, 40))
        shade = sum(1 for r in rows for p in r if near(p, band, 6))
        print(f"{hexcol}: {left} curve pixels left, {right} right, {shade} band pixels")
        assert left > 150 and right > 150, f"{hexcol}: the curve is missing on one side"
        assert shade > 200, f"{hexcol}: no bootstrap band"
    print("png ok")


if __name__ == "__main__":
    main()
