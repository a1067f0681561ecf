"""The structured content of a mediation agreement (L15) and its hash.

Every part reads the content through these models: drafting edits it, the
signing flow binds signatures to ``content_sha256``, the PDF renders it, the
confirmation application lists it. Identity numbers are never in the content
(it holds each party's id and masked number); the PDF decrypts them (audited).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT = 20_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartyBlock(_Strict):
    """One party as the agreement names it (L15: the parties' basic details)."""

    party_id: int  # CaseParty.id
    side: Literal["applicant", "respondent"]
    kind: Literal["person", "organisation"]
    name: str = Field(min_length=1, max_length=200)
    id_doc_type: str = Field(default="", max_length=40)
    id_masked: str = Field(default="", max_length=40)  # e.g. "************1234"
    address: str = Field(default="", max_length=300)  # domicile / registered address
    mobile_masked: str = Field(default="", max_length=20)
    legal_representative: str = Field(default="", max_length=100)  # organisations
    agent_name: str = Field(default="", max_length=100)  # an agent acting in the mediation


class Term(_Strict):
    """One agreed term: who does what, how and by when (L15)."""

    key: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")
    obligor_party_ids: list[int] = Field(default_factory=list)
    obligee_party_ids: list[int] = Field(default_factory=list)
    text: str = Field(min_length=1, max_length=4000)
    amount_fen: int | None = Field(default=None, ge=0)  # integer fen, never float
    manner: str = Field(default="", max_length=1000)  # e.g. bank transfer to account ...
    due_on: date | None = None  # the deadline of performance (Asia/Shanghai calendar day)


class AgreementContent(_Strict):
    """Version content. ``schema`` lets later releases migrate old versions."""

    schema_version: Literal[1] = 1
    language: Literal["zh-CN", "en"] = "zh-CN"
    title: str = Field(default="调解协议书", max_length=200)
    case_number: str = Field(default="", max_length=64)
    institution_name: str = Field(default="", max_length=200)
    mediator_name: str = Field(default="", max_length=100)
    parties: list[PartyBlock] = Field(default_factory=list)
    facts: str = Field(default="", max_length=MAX_TEXT)  # main facts
    disputed_matters: str = Field(default="", max_length=MAX_TEXT)
    responsibilities: str = Field(default="", max_length=MAX_TEXT)
    terms: list[Term] = Field(default_factory=list)
    other_terms: str = Field(default="", max_length=MAX_TEXT)  # costs, effect clauses, ...
    copies_note: str = Field(default="", max_length=1000)  # e.g. one copy per party + institution (L17)


def canonical_json(content: AgreementContent | dict[str, Any]) -> bytes:
    """The bytes hashed for a version: sorted keys, no spaces, UTF-8, dates ISO."""
    data = content.model_dump(mode="json") if isinstance(content, AgreementContent) else content
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_sha256(content: AgreementContent | dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(content)).hexdigest()


def changed_fields(old: AgreementContent | None, new: AgreementContent) -> list[str]:
    """Top-level fields (and ``terms.<key>``) that differ: the version history's summary."""
    if old is None:
        return []
    before, after = old.model_dump(mode="json"), new.model_dump(mode="json")
    changed = [k for k in after if k != "terms" and before.get(k) != after[k]]
    old_terms = {t["key"]: t for t in before["terms"]}
    new_terms = {t["key"]: t for t in after["terms"]}
    for key in sorted(old_terms.keys() | new_terms.keys()):
        if old_terms.get(key) != new_terms.get(key):
            changed.append(f"terms.{key}")
    return changed
