"""The platform notice an applicant reads and confirms before filing (L1).

The text is data (``notice.json`` beside this module, zh-CN and en) with a
version string. A filing names the version its applicant confirmed; only the
current version counts, so a page left open across a change of the notice
has to be reloaded and confirmed again. Other parts (the respondent's answer,
L8) confirm the same notice through ``require_current_notice``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from pydantic import BaseModel

from odr.errors import ValidationFailed

NOTICE_FILE = Path(__file__).with_name("notice.json")


class NoticeSection(BaseModel):
    heading: str
    body: str


class NoticeText(BaseModel):
    title: str
    sections: list[NoticeSection]


class Notice(BaseModel):
    version: str
    published: str
    texts: dict[str, NoticeText]  # locale ("zh-CN", "en") -> text


@functools.cache
def current_notice() -> Notice:
    """The notice in force (read once per process)."""
    return Notice.model_validate(json.loads(NOTICE_FILE.read_text(encoding="utf-8")))


def require_current_notice(version: str | None, *, field: str = "notice_version") -> str:
    """``version`` if it is the notice in force; otherwise a 422 naming the current one (L1)."""
    current = current_notice().version
    if not version:
        raise ValidationFailed(
            "read the platform notice (GET /api/v1/notice) and confirm its version (L1)",
            code="notice_not_confirmed", details=[{"field": field, "current": current}],
        )
    if version != current:
        raise ValidationFailed(
            f"the notice you confirmed ({version}) is not the current one ({current}); "
            "read it again and confirm (L1)",
            code="notice_outdated", details=[{"field": field, "current": current}],
        )
    return version
