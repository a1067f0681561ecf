"""Identity document and mobile number checks (L2), pure functions."""

from __future__ import annotations

from datetime import date

import pytest

from odr.accounts.identity import (
    document_problem,
    mask_document,
    mask_mobile,
    mobile_problem,
    normalize_document,
    normalize_mobile,
    resident_id_problem,
    uscc_problem,
)
from tests.factories import resident_id


def test_resident_id_with_valid_checksum_and_birth_date_passes_L2() -> None:
    assert resident_id_problem("11010519491231002X") is None


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "check character"),
        ("11010519491231002", "18 characters"),
        ("11010519491231002Y", "17 digits followed by a digit or X"),
        ("11010120200230001X", "not a real date"),
        ("010105194912310021", "region code"),
    ],
)
def test_resident_id_problems_are_named_L2(number: str, reason: str) -> None:
    problem = resident_id_problem(number)
    assert problem is not None and reason in problem


def test_resident_id_born_in_the_future_is_refused_L2() -> None:
    first17 = "31010120300101001"
    from odr.accounts.identity import resident_id_check_char

    number = first17 + resident_id_check_char(first17)
    assert resident_id_problem(number) is None
    assert "out of range" in (resident_id_problem(number, today=date(2026, 11, 2)) or "")


def test_generated_factory_ids_are_valid_and_distinct() -> None:
    numbers = [resident_id(n) for n in range(1, 500)]
    assert all(resident_id_problem(n) is None for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_unified_social_credit_code_checksum_L2() -> None:
    assert uscc_problem("91350100M000100Y43") is None
    assert "check character" in (uscc_problem("91350100M000100Y44") or "")
    assert "cannot contain" in (uscc_problem("91350100M000100I43") or "")
    assert "18 characters" in (uscc_problem("91350100M000100Y4") or "")


def test_lawyer_licence_and_passport_shapes_L2() -> None:
    assert document_problem("lawyer_licence", "13101201810123456") is None
    assert document_problem("lawyer_licence", "1310120181012345") is not None
    assert document_problem("lawyer_licence", "1310120181012345A") is not None
    assert document_problem("passport", "E12345678") is None
    assert document_problem("passport", "ABCDEFGH") is not None  # no digit
    assert document_problem("passport", "E1234") is None
    assert document_problem("passport", "E123") is not None


def test_documents_are_normalised_before_checking() -> None:
    assert normalize_document(" 110105 19491231 002x ") == "11010519491231002X"
    assert normalize_document("9135-0100-M000-100Y43") == "91350100M000100Y43"


@pytest.mark.parametrize("raw", ["13812345678", "+86 138 1234 5678", "0086-138-1234-5678"])
def test_mainland_mobile_numbers_accepted_in_common_spellings(raw: str) -> None:
    number = normalize_mobile(raw)
    assert number == "13812345678"
    assert mobile_problem(number) is None


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "138123456789", "2138123456a"])
def test_bad_mobile_numbers_refused(raw: str) -> None:
    assert mobile_problem(normalize_mobile(raw)) is not None


def test_masks_show_only_the_last_four_characters() -> None:
    assert mask_document("resident_id", "002X") == "**************002X"
    assert mask_document("lawyer_licence", "3456") == "*************3456"
    assert mask_document("passport", "5678") == "****5678"
    assert mask_document(None, None) is None
    assert mask_mobile("13812345678") == "138****5678"
