"""Masking of personal data for screens, exports and public disclosure (DOMAIN.md §7).

What stays visible follows the usual Chinese practice: the region prefix and the last four
characters of an ID number, the carrier prefix and the last four digits of a mobile number, and
the family name. Shorter values keep proportionally less, so a short code is never shown whole.
"""

from __future__ import annotations

MASK = "*"


def _keep_ends(text: str, head: int, tail: int) -> str:
    if head + tail >= len(text):
        return MASK * len(text)
    return text[:head] + MASK * (len(text) - head - tail) + (text[len(text) - tail :] if tail else "")


def mask_identity_code(value: str | None) -> str:
    """ "110101199003070019" -> "1101**********0019": a quarter of each end, at most four."""
    text = (value or "").strip()
    keep = min(4, len(text) // 4)
    return _keep_ends(text, keep, keep)


def mask_phone(value: str | None) -> str:
    """ "13812345678" -> "138****5678"; shorter numbers keep less of each end."""
    text = (value or "").strip()
    if len(text) < 5:
        return MASK * len(text)
    return _keep_ends(text, min(3, len(text) // 3), min(4, (len(text) + 1) // 3))


def mask_name(value: str | None) -> str:
    """ "张三丰" -> "张**": the first character (the family name, usually) and nothing else."""
    text = (value or "").strip()
    if len(text) <= 1:
        return MASK * len(text)
    return text[0] + MASK * (len(text) - 1)
