"""Claim amounts: decimal strings in CNY in, integer fen stored, never a float on the way."""

from __future__ import annotations

import re
from decimal import Decimal

MAX_CLAIM_CNY = Decimal(10) ** 12  # above a trillion yuan a claim is a typo, not a dispute
_SHAPE = re.compile(r"-?\d+(\.\d+)?")


def amount_problem(text: str) -> str | None:
    """Why ``text`` is not a claim amount in CNY, or None."""
    if not _SHAPE.fullmatch(text):
        return "write the amount in CNY as digits with at most two decimals, e.g. 12345.67"
    value = Decimal(text)
    if value < 0:
        return "a claim amount cannot be negative"
    if "." in text and len(text.split(".", 1)[1]) > 2:
        return "a claim amount has at most two decimals (fen)"
    if value > MAX_CLAIM_CNY:
        return "a claim amount above 1,000,000,000,000 CNY is not plausible; check the digits"
    return None


def cny_to_fen(text: str) -> int:
    """``"12345.67"`` -> ``1234567``; call ``amount_problem`` first."""
    return int(Decimal(text) * 100)


def fen_to_cny(fen: int) -> str:
    """``1234567`` -> ``"12345.67"`` (always two decimals)."""
    return f"{Decimal(fen) / 100:.2f}"
