"""Field-level differences between two versions: parties by party id, terms by key.

Pure. A changed term field reads ``terms.<key>.<field>``; an added or removed
term is ``terms.<key>`` with the whole term as ``new`` or ``old``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agreements.content import AgreementContent


@dataclass(frozen=True)
class Change:
    field: str
    change: str  # added | removed | changed
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "change": self.change, "old": self.old, "new": self.new}


def _keyed(
    prefix: str, old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
) -> list[Change]:
    out: list[Change] = []
    for key in list(old) + [k for k in new if k not in old]:
        before, after = old.get(key), new.get(key)
        if before is None:
            out.append(Change(f"{prefix}.{key}", "added", None, after))
        elif after is None:
            out.append(Change(f"{prefix}.{key}", "removed", before, None))
        else:
            for name in list(before) + [n for n in after if n not in before]:
                if before.get(name) != after.get(name):
                    out.append(Change(f"{prefix}.{key}.{name}", "changed",
                                      before.get(name), after.get(name)))
    return out


def diff(old: AgreementContent, new: AgreementContent) -> list[Change]:
    """What changed from ``old`` to ``new``, in the order the content reads."""
    before, after = old.model_dump(mode="json"), new.model_dump(mode="json")
    out: list[Change] = []
    for name in after:
        if name == "parties":
            out += _keyed("parties", {str(p["party_id"]): p for p in before["parties"]},
                          {str(p["party_id"]): p for p in after["parties"]})
        elif name == "terms":
            old_terms = {t["key"]: t for t in before["terms"]}
            new_terms = {t["key"]: t for t in after["terms"]}
            out += _keyed("terms", old_terms, new_terms)
            common_old = [k for k in old_terms if k in new_terms]
            common_new = [k for k in new_terms if k in old_terms]
            if common_old != common_new:
                out.append(Change("terms.order", "changed", list(old_terms), list(new_terms)))
        elif before.get(name) != after[name]:
            out.append(Change(name, "changed", before.get(name), after[name]))
    return out
