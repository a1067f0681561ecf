"""Identity documents and mobile numbers: normalisation, checksums, masking (L2).

Pure functions, no database: each ``*_problem`` returns a reason a person can
act on, or ``None`` when the value is well formed.

- Resident ID (居民身份证号码), GB 11643-1999: 17 digits + an ISO 7064
  MOD 11-2 check character (0-9 or X); digits 7-14 are the birth date.
- Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters
  from a 31-character alphabet (no I, O, Z, S, V); the last is a MOD 31 check.
- Lawyer practising licence number (律师执业证号): 17 digits.
- Passport: 5-20 letters and digits with at least one digit (formats differ
  by issuing state; only the shape is checked).
"""

from __future__ import annotations

import re
from datetime import date

from odr.accounts.models import IdDocType

RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RESIDENT_ID_CHECK = "10X98765432"  # indexed by (weighted sum mod 11)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_PASSPORT_RE = re.compile(r"[A-Z0-9]{5,20}")
_SEPARATORS = re.compile(r"[\s-]+")

DOC_LENGTHS: dict[str, int] = {
    IdDocType.RESIDENT_ID: 18,
    IdDocType.USCC: 18,
    IdDocType.LAWYER_LICENCE: 17,
}


def normalize_document(number: str) -> str:
    """Upper-case, without spaces or hyphens (how people copy numbers from cards)."""
    return _SEPARATORS.sub("", number).upper()


def resident_id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK[total % 11]


def resident_id_problem(number: str, *, today: date | None = None) -> str | None:
    if len(number) != 18:
        return "a resident ID number has 18 characters"
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return "a resident ID number is 17 digits followed by a digit or X"
    if number[0] == "0":
        return "a resident ID number starts with a region code (not 0)"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "the birth date in the resident ID number is not a real date"
    if born.year < 1900 or (today is not None and born > today):
        return "the birth date in the resident ID number is out of range"
    if resident_id_check_char(number[:17]) != number[17]:
        return "the resident ID number's check character is wrong; check for a typo"
    return None


def uscc_check_char(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(number: str) -> str | None:
    if len(number) != 18:
        return "a unified social credit code has 18 characters"
    bad = sorted({c for c in number if c not in USCC_ALPHABET})
    if bad:
        return f"a unified social credit code cannot contain {', '.join(bad)}"
    if not number[2:8].isdigit():
        return "characters 3-8 of a unified social credit code are a region code (digits)"
    if uscc_check_char(number[:17]) != number[17]:
        return "the unified social credit code's check character is wrong; check for a typo"
    return None


def lawyer_licence_problem(number: str) -> str | None:
    if len(number) != 17 or not number.isdigit():
        return "a lawyer's practising licence number is 17 digits"
    return None


def passport_problem(number: str) -> str | None:
    if not _PASSPORT_RE.fullmatch(number) or not any(c.isdigit() for c in number):
        return "a passport number is 5 to 20 letters and digits"
    return None


def document_problem(doc_type: str, number: str, *, today: date | None = None) -> str | None:
    """Why ``number`` (already normalised) is not a valid document of ``doc_type``, or None."""
    if doc_type == IdDocType.RESIDENT_ID:
        return resident_id_problem(number, today=today)
    if doc_type == IdDocType.USCC:
        return uscc_problem(number)
    if doc_type == IdDocType.LAWYER_LICENCE:
        return lawyer_licence_problem(number)
    if doc_type == IdDocType.PASSPORT:
        return passport_problem(number)
    return f"unknown document type {doc_type!r}"


def normalize_mobile(mobile: str) -> str:
    """Digits only; a leading +86 / 0086 country code is dropped."""
    digits = _SEPARATORS.sub("", mobile)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def mobile_problem(mobile: str) -> str | None:
    if not MOBILE_RE.fullmatch(mobile):
        return "a mainland mobile number is 11 digits starting 13-19"
    return None


def mask_document(doc_type: str | None, last4: str | None) -> str | None:
    """Only the last four characters are ever shown: ``**************123X``."""
    if not last4:
        return None
    length = DOC_LENGTHS.get(doc_type or "", 8)
    return "*" * (length - len(last4)) + last4


def mask_mobile(mobile: str | None) -> str | None:
    """138****5678."""
    if not mobile:
        return None
    if len(mobile) < 8:
        return "*" * max(len(mobile) - 2, 0) + mobile[-2:]
    return f"{mobile[:3]}{'*' * (len(mobile) - 7)}{mobile[-4:]}"
