"""Agreement templates per dispute category and language (data in ``agreements/templates``).

A template gives the title, the clauses most agreements of the category end
with (effect, judicial confirmation, copies: L16, L17, L21), hints for the
mediator on what the facts, disputed matters and responsibilities should say
(L15), and example terms to start from. Hints are never copied into the
content: an empty L15 field must stay visibly empty until the mediator writes it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict

from odr.categories import DisputeCategory

LANGUAGES = ("zh-CN", "en")


class TermExample(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    text: str
    manner: str


class AgreementTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    category: str
    language: str
    title: str
    facts_hint: str
    disputed_matters_hint: str
    responsibilities_hint: str
    term_examples: tuple[TermExample, ...]
    other_terms: str
    copies_note: str


@cache
def all_templates() -> tuple[AgreementTemplate, ...]:
    """Every template, category by category (each category in every language)."""
    folder = resources.files("agreements") / "templates"
    out: list[AgreementTemplate] = []
    for category in DisputeCategory:
        data = json.loads((folder / f"{category.value}.json").read_text(encoding="utf-8"))
        for language in LANGUAGES:
            out.append(AgreementTemplate(category=category.value, language=language,
                                         **data[language]))
    return tuple(out)


def template_for(category: str, language: str) -> AgreementTemplate:
    """The template of ``category`` in ``language`` (unknown categories use general civil)."""
    known = {(t.category, t.language): t for t in all_templates()}
    found = known.get((category, language))
    return found or known[(DisputeCategory.GENERAL_CIVIL.value, language)]
