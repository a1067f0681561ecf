"""Stable codes for the rule texts stored in assignment explanations, so the web page shows
them in the reader's language (the stored English text stays as written, for the audit).

Codes are added when an explanation is read (``with_codes``), so explanations stored
before a code existed are translated too; a text with no code keeps only its text.
"""

from __future__ import annotations

import re
from typing import Any

from mediators.batch import RULE as BATCH_RULE
from mediators.institutions import RULE as INSTITUTION_RULE

RULE_CODES: dict[str, str] = {
    BATCH_RULE: "batch",
    INSTITUTION_RULE: "institution_engine",
    "category, then location, then load": "institution_engine",
    "already assigned to the case": "already_assigned",
    "the case's own institution (set at referral, filing or review)": "own_institution",
    "chosen by whoever assigns (parties or staff)": "chosen_by_assigner",
    "L5: chosen by the parties from the roster": "parties_chose_institution",
    "L5: every party chose this mediator": "parties_chose_mediator",
    "L5: designated by staff": "staff_designated_institution",
    "designated by staff": "staff_designated",
    "override by the institution admin": "admin_override",
}
_ENGINE = re.compile(r"^engine \((?P<cause>.*)\)$")
CAUSE_CODES: dict[str, str] = {
    "silence": "silence", "declined": "declined", "reassignment": "reassignment",
    "batch fallback": "batch_fallback", "batch: left over": "batch_left_over",
    "designated on the engine's proposal": "designated_on_proposal",
}
_WHY = (
    (re.compile(r"^in the parties' district \((?P<district>.*)\)$"), "in_district"),
    (re.compile(r"^lowest load among the institutions equally placed$"), "lowest_load"),
    (re.compile(r"^the only institution that takes this category$"), "only_institution"),
)


def rule_code(text: object) -> tuple[str | None, dict[str, str]]:
    """The code of a stored rule text and its parameters (e.g. the engine's cause)."""
    if not isinstance(text, str):
        return None, {}
    if text in RULE_CODES:
        return RULE_CODES[text], {}
    engine = _ENGINE.match(text)
    if engine:
        cause = engine["cause"]
        return "engine", {"cause": cause, "cause_code": CAUSE_CODES.get(cause, "")}
    return None, {}


def why_code(text: object) -> tuple[str | None, dict[str, str]]:
    if not isinstance(text, str):
        return None, {}
    for pattern, code in _WHY:
        found = pattern.match(text)
        if found:
            return code, found.groupdict()
    return None, {}


def with_codes(explanation: dict[str, Any] | None) -> dict[str, Any] | None:
    """A copy of ``explanation`` with ``rule_code``/``rule_params`` (and the institution's
    ``rule_code``/``why_code``/``why_params``) next to their texts."""
    if explanation is None:
        return None
    out = dict(explanation)
    code, params = rule_code(out.get("rule"))
    if code:
        out["rule_code"], out["rule_params"] = code, params
    institution = out.get("institution")
    if isinstance(institution, dict):
        inst = dict(institution)
        code, _ = rule_code(inst.get("rule"))
        if code:
            inst["rule_code"] = code
        why, why_params = why_code(inst.get("why"))
        if why:
            inst["why_code"], inst["why_params"] = why, why_params
        out["institution"] = inst
    return out
