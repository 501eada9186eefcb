"""Drawing helpers for the document templates: the visible seal and QR codes, as inline SVG.

Both are computed here rather than written by hand in the templates because they are geometry:
the seal's characters sit on an arc, each turned to face outwards, and a QR code is a matrix of
modules. SVG keeps them sharp at any zoom and costs WeasyPrint no image decoding.
"""

from __future__ import annotations

import math

import qrcode
import qrcode.constants
from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

SEAL_RED = "#d7141a"
SEAL_DIAMETER_MM = 42  # the common size of an organ's round seal


def _star_points(centre_x: float, centre_y: float, outer_radius: float) -> str:
    """A five-pointed star, one point straight up."""
    inner_radius = outer_radius * 0.382  # the regular star: inner/outer = 1/φ²
    points = []
    for index in range(10):
        radius = outer_radius if index % 2 == 0 else inner_radius
        angle = math.radians(-90 + index * 36)
        points.append(f"{centre_x + radius * math.cos(angle):.3f},{centre_y + radius * math.sin(angle):.3f}")
    return " ".join(points)


@register.simple_tag
def official_seal(organ_name: str, purpose: str = "", size: str = f"{SEAL_DIAMETER_MM}mm") -> SafeString:
    """The organ's round red seal: its name along the upper rim, a star in the middle.

    ``purpose`` (e.g. "行政许可专用章") is written straight across below the star, as on seals
    made for one use. Drawn in a 42 × 42 coordinate box (millimetres at the default size).
    """
    centre = SEAL_DIAMETER_MM / 2
    ring_radius, ring_width = 19.6, 1.3
    characters = [character for character in str(organ_name) if not character.isspace()]
    count = max(len(characters), 1)
    # Long names use more of the rim and smaller characters; short ones are spread less.
    span = min(220.0 if purpose else 250.0, 28.0 * (count - 1) + 12.0)
    purpose_size = 3.8
    step = span / (count - 1) if count > 1 else 0.0
    font_size = 6.4 if count <= 10 else max(4.2, 6.4 - 0.3 * (count - 10))
    text_radius = ring_radius - ring_width / 2 - 0.9 - font_size / 2
    glyphs = []
    for index, character in enumerate(characters):
        angle = -span / 2 + index * step  # degrees clockwise from straight up
        radians = math.radians(angle)
        x = centre + text_radius * math.sin(radians)
        y = centre - text_radius * math.cos(radians)
        # The glyph's centre sits on the arc: half an em left of it and 0.36 em below it is the
        # origin of a full-width CJK glyph in Noto Serif CJK (placed by hand rather than with
        # text-anchor, which WeasyPrint measures before the squeeze). Seal characters are narrow.
        glyphs.append(
            f'<text transform="translate({x:.3f} {y:.3f}) rotate({angle:.2f}) scale(0.72 1)" '
            f'x="{-font_size / 2:.3f}" y="{font_size * 0.36:.3f}">{escape(character)}</text>'
        )
    purpose_markup = ""
    if purpose:
        purpose_markup = (
            f'<text transform="translate({centre} {centre + 11.6:.2f}) scale(0.8 1)" '
            f'x="{-len(purpose) * purpose_size / 2:.3f}" y="0" font-size="{purpose_size}">{escape(purpose)}</text>'
        )
    star_y = centre - 0.5 if purpose else centre
    markup = (
        f'<svg class="seal" xmlns="http://www.w3.org/2000/svg" width="{escape(size)}" height="{escape(size)}" '
        f'viewBox="0 0 {SEAL_DIAMETER_MM} {SEAL_DIAMETER_MM}" role="img" aria-label="{escape(organ_name)}印章">'
        # Multiply, as ink does: the printed date and name stay legible through the seal.
        '<defs><filter id="seal-ink"><feBlend mode="multiply"/></filter></defs>'
        f'<g filter="url(#seal-ink)" fill="{SEAL_RED}" stroke="none" '
        'font-family="Noto Serif CJK SC" font-weight="bold">'
        f'<circle cx="{centre}" cy="{centre}" r="{ring_radius}" fill="none" stroke="{SEAL_RED}" '
        f'stroke-width="{ring_width}"/>'
        f'<polygon points="{_star_points(centre, star_y, 6.6)}"/>'
        f'<g font-size="{font_size:.2f}">{"".join(glyphs)}</g>'
        f"{purpose_markup}"
        "</g></svg>"
    )
    return mark_safe(markup)  # every interpolated text is escaped above


def qr_matrix(data: str) -> list[list[bool]]:
    """The modules of a QR code for ``data`` (medium error correction, 2-module quiet zone)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


@register.simple_tag
def qr_code(data: str, size: str = "28mm", label: str = "") -> SafeString:
    """A QR code of ``data`` as inline SVG ``size`` wide.

    Dark modules are drawn as one path of horizontal runs, so that no hairline seams appear
    between neighbouring modules when a viewer anti-aliases.
    """
    matrix = qr_matrix(str(data))
    width = len(matrix)
    runs = []
    for row_index, row in enumerate(matrix):
        column = 0
        while column < width:
            if row[column]:
                start = column
                while column < width and row[column]:
                    column += 1
                runs.append(f"M{start},{row_index}h{column - start}v1h-{column - start}z")
            else:
                column += 1
    return format_html(
        '<svg class="qr" xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" viewBox="0 0 {} {}" '
        'shape-rendering="crispEdges" role="img" aria-label="{}">'
        '<rect width="{}" height="{}" fill="#fff"/><path fill="#000" d="{}"/></svg>',
        size, size, width, width, label or data, width, width, "".join(runs),
    )


@register.filter
def as_lines(value) -> list[str]:
    """A context value that may be one string or a list of them, as a list."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return [str(line) for line in value]
