#!/usr/bin/env python3
"""Draws the add-on's icon.png (128x128) and logo.png (250x100) from scratch.

Plain Python (zlib + struct), no image library: shapes are signed distance functions, and a
pixel's coverage is how far its centre lies inside a shape, which gives smooth edges without
supersampling. Run from the repository root: `python3 .ci/draw-images.py`.
"""

import math
import struct
import zlib

TOP = (0xC6, 0x1A, 0x5C)  # magenta-red, in the spirit of LG's appliances
BOTTOM = (0x5E, 0x24, 0x8F)  # violet
WHITE = (0xFF, 0xFF, 0xFF)
DOOR_GLASS = (0xF3, 0xD9, 0xE8)


def mix(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b))


def rounded_rect(cx, cy, half_w, half_h, radius):
    def sdf(x, y):
        qx = abs(x - cx) - half_w + radius
        qy = abs(y - cy) - half_h + radius
        outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
        return outside + min(max(qx, qy), 0.0) - radius

    return sdf


def circle(cx, cy, r):
    return lambda x, y: math.hypot(x - cx, y - cy) - r


def ring(cx, cy, r, width):
    return lambda x, y: abs(math.hypot(x - cx, y - cy) - r) - width / 2


def segment(x1, y1, x2, y2, width):
    def sdf(x, y):
        dx, dy = x2 - x1, y2 - y1
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / length2))
        return math.hypot(x - (x1 + t * dx), y - (y1 + t * dy)) - width / 2

    return sdf


def arc(cx, cy, r, start_deg, end_deg, width):
    """An arc with round caps; angles in degrees, y pointing down, clockwise from start."""
    start, end = math.radians(start_deg), math.radians(end_deg)
    ends = [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in (start, end)]

    def sdf(x, y):
        angle = math.atan2(y - cy, x - cx)
        if (angle - start) % (2 * math.pi) <= (end - start) % (2 * math.pi):
            d = abs(math.hypot(x - cx, y - cy) - r)
        else:
            d = min(math.hypot(x - ex, y - ey) for ex, ey in ends)
        return d - width / 2

    return sdf


class Canvas:
    def __init__(self, width, height):
        self.width, self.height = width, height
        self.pixels = [[(0, 0, 0, 0.0)] * width for _ in range(height)]

    def fill(self, sdf, color):
        """Paints `color` (an RGB tuple, or a function of (x, y) giving one) over the canvas."""
        for py in range(self.height):
            row = self.pixels[py]
            for px in range(self.width):
                x, y = px + 0.5, py + 0.5
                coverage = max(0.0, min(1.0, 0.5 - sdf(x, y)))
                if coverage == 0.0:
                    continue
                rgb = color(x, y) if callable(color) else color
                r, g, b, a = row[px]
                out_a = coverage + a * (1 - coverage)
                blend = [(c * coverage + d * a * (1 - coverage)) / out_a for c, d in zip(rgb, (r, g, b))]
                row[px] = (*blend, out_a)

    def png(self, path):
        raw = bytearray()
        for row in self.pixels:
            raw.append(0)  # filter: none
            for r, g, b, a in row:
                raw += bytes((round(r), round(g), round(b), round(a * 255)))

        def chunk(kind, data):
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 6, 0, 0, 0)
        with open(path, "wb") as out:
            out.write(b"\x89PNG\r\n\x1a\n")
            out.write(chunk(b"IHDR", header))
            out.write(chunk(b"IDAT", zlib.compress(bytes(raw), 9)))
            out.write(chunk(b"IEND", b""))


def draw_icon(canvas, ox, oy, size):
    """The icon: a washing machine sending its state out, on a rounded gradient tile."""
    s = size / 128

    def at(x, y):
        return ox + x * s, oy + y * s

    def gradient(x, y):
        return mix(TOP, BOTTOM, max(0.0, min(1.0, ((x - ox) + (y - oy)) / (2 * size))))

    canvas.fill(rounded_rect(*at(64, 64), 64 * s, 64 * s, 26 * s), gradient)
    # Appliance body, control panel line and knobs.
    canvas.fill(rounded_rect(*at(54, 72), 30 * s, 36 * s, 8 * s), WHITE)
    canvas.fill(segment(*at(26, 52), *at(82, 52), 3 * s), gradient)
    canvas.fill(circle(*at(36, 44), 3 * s), gradient)
    canvas.fill(circle(*at(46, 44), 3 * s), gradient)
    canvas.fill(segment(*at(60, 44), *at(74, 44), 4 * s), gradient)
    # Door: a glass circle in a thick rim.
    canvas.fill(circle(*at(54, 78), 17 * s), gradient)
    canvas.fill(circle(*at(54, 78), 11 * s), DOOR_GLASS)
    canvas.fill(arc(*at(54, 78), 6.5 * s, 200, 260, 3 * s), WHITE)
    # Signal waves from the top-right corner of the machine.
    canvas.fill(circle(*at(92, 34), 4.5 * s), WHITE)
    canvas.fill(arc(*at(92, 34), 13 * s, 270, 360, 5 * s), WHITE)
    canvas.fill(arc(*at(92, 34), 24 * s, 270, 360, 5 * s), WHITE)


# Stroke glyphs on a cap-height-1 grid (y down, baseline at 1): lists of strokes.
GLYPHS = {
    "T": (0.62, [("seg", 0.0, 0.0, 0.62, 0.0), ("seg", 0.31, 0.0, 0.31, 1.0)]),
    "h": (0.5, [("seg", 0.0, 0.0, 0.0, 1.0), ("arc", 0.25, 0.65, 0.25, 180, 360), ("seg", 0.5, 0.65, 0.5, 1.0)]),
    "i": (0.0, [("seg", 0.0, 0.38, 0.0, 1.0), ("dot", 0.0, 0.12)]),
    "n": (0.5, [("seg", 0.0, 0.38, 0.0, 1.0), ("arc", 0.25, 0.65, 0.25, 180, 360), ("seg", 0.5, 0.65, 0.5, 1.0)]),
    "Q": (0.96, [("arc", 0.48, 0.5, 0.48, 0, 360), ("seg", 0.62, 0.72, 0.98, 1.08)]),
}


def draw_text(canvas, text, x, baseline, cap, stroke, color, gap):
    for letter in text:
        width, strokes = GLYPHS[letter]
        top = baseline - cap
        for kind, *p in strokes:
            if kind == "seg":
                sdf = segment(x + p[0] * cap, top + p[1] * cap, x + p[2] * cap, top + p[3] * cap, stroke)
            elif kind == "arc":
                sdf = arc(x + p[0] * cap, top + p[1] * cap, p[2] * cap, p[3], p[4] - 1e-6, stroke)
            else:
                sdf = circle(x + p[0] * cap, top + p[1] * cap, stroke * 0.65)
            canvas.fill(sdf, color)
        x += width * cap + gap


def main():
    icon = Canvas(128, 128)
    draw_icon(icon, 0, 0, 128)
    icon.png("icon.png")

    logo = Canvas(250, 100)
    draw_icon(logo, 4, 6, 88)
    draw_text(logo, "ThinQ", x=110, baseline=68, cap=36, stroke=6.5, color=TOP, gap=9)
    logo.fill(segment(112, 84, 240, 84, 3), BOTTOM)
    logo.png("logo.png")


if __name__ == "__main__":
    main()
