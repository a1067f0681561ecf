"""Every rule text an explanation can store has a code the web page translates."""

from __future__ import annotations

import re
from pathlib import Path

from mediators.explain_codes import RULE_CODES, with_codes

ROOT = Path(__file__).resolve().parents[2]


def test_every_rule_text_written_by_the_engine_has_a_code() -> None:
    sources = "\n".join(p.read_text() for p in (ROOT / "mediators").glob("*.py"))
    written = set(re.findall(r'rule="([^"]+)"', sources)) | set(
        re.findall(r'institution_rule="([^"]+)"', sources)
    ) | set(re.findall(r'"rule": "([^"]+)"', sources))
    assert written, "the pattern no longer finds the rule texts"
    assert written - {"engine"} <= RULE_CODES.keys()


def test_codes_are_added_next_to_the_stored_texts_and_unknown_texts_stay_as_they_are() -> None:
    stored = {"rule": "engine (declined)", "institution": {
        "rule": "category, then location (the parties' district), then load (utilisation), then id",
        "why": "in the parties' district (浦东新区 Pudong)"}}
    coded = with_codes(stored)
    assert coded is not None
    assert (coded["rule_code"], coded["rule_params"]) == (
        "engine", {"cause": "declined", "cause_code": "declined"})
    assert (coded["institution"]["rule_code"], coded["institution"]["why_code"],
            coded["institution"]["why_params"]) == (
        "institution_engine", "in_district", {"district": "浦东新区 Pudong"})
    assert stored["rule"] == "engine (declined)" and "rule_code" not in stored  # not changed in place
    assert with_codes({"rule": "something new"}) == {"rule": "something new"}
