"""Draws Signet's source icon (a wax-seal disc with a check mark) as RGBA PNGs.

Pure standard library so it runs anywhere: `python3 icons/source.py` rewrites the PNGs in icons/,
and icon.ico (the Windows build's resource icon: PNG images of 16 to 256 pixels in one file).
"""
import math
import struct
import zlib
from pathlib import Path


def png(size: int) -> bytes:
    rows = []
    c = (size - 1) / 2
    r_out = size * 0.47
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            dx, dy = x - c, y - c
            d = math.hypot(dx, dy)
            # anti-aliased disc edge
            a = max(0.0, min(1.0, r_out - d + 0.5))
            t = (y / size)
            r, g, b = int(92 + 40 * t), int(60 + 10 * t), int(220 - 60 * t)
            # check mark: two thick segments
            u, v = x / size, y / size
            def seg(ax, ay, bx, by, w):
                px, py = u - ax, v - ay
                sx, sy = bx - ax, by - ay
                h = max(0.0, min(1.0, (px * sx + py * sy) / (sx * sx + sy * sy)))
                return math.hypot(px - sx * h, py - sy * h) < w
            if seg(0.30, 0.52, 0.44, 0.66, 0.055) or seg(0.44, 0.66, 0.72, 0.36, 0.055):
                r, g, b = 255, 255, 255
            row += bytes([r, g, b, int(255 * a)])
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def ico(sizes) -> bytes:
    images = [png(size) for size in sizes]
    out = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    for size, data in zip(sizes, images):
        # width and height 0 mean 256
        out += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return out + b"".join(images)


if __name__ == "__main__":
    here = Path(__file__).parent
    for name, size in [("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)]:
        (here / name).write_bytes(png(size))
    (here / "icon.ico").write_bytes(ico([16, 24, 32, 48, 64, 256]))
