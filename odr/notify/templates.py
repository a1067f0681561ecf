"""Notification templates in zh-CN (the default) and English.

Templates are data: ``odr/notify/templates/<locale>.json`` holds, per template
name, a ``subject`` (used by e-mail) and a ``body`` with ``str.format`` named
fields. A locale's ``values`` table translates enumerated context values, so a
caller passes ``purpose="login"`` and reads "登录" or "sign in".

``render`` is used twice with the same inputs: when a notification is queued
(so a missing template or context field fails in the caller's transaction,
with a message naming what is missing) and when the worker sends it.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from odr.clock import to_local

DEFAULT_LOCALE = "zh-CN"
LOCALES = ("zh-CN", "en")


class TemplateError(ValueError):
    """A template is unknown, or its context lacks a field or has a value it cannot show."""


@dataclass(frozen=True)
class Template:
    name: str
    locale: str
    subject: str
    body: str

    @property
    def fields(self) -> frozenset[str]:
        return _fields_of(self.subject) | _fields_of(self.body)


@dataclass(frozen=True)
class Rendered:
    template: str
    locale: str  # the locale actually used, after fallback
    subject: str
    body: str


@dataclass(frozen=True)
class Catalogue:
    locale: str
    templates: dict[str, Template]
    values: dict[str, dict[str, str]]  # field -> raw value -> text shown


def _fields_of(text: str) -> frozenset[str]:
    names = set()
    for _literal, field, _spec, _conversion in string.Formatter().parse(text):
        if field is None:
            continue
        if not field.isidentifier():  # no "{0}", "{user.name}", "{items[0]}"
            raise TemplateError(f"template field {field!r} must be a plain name")
        names.add(field)
    return frozenset(names)


@cache
def catalogue(locale: str) -> Catalogue:
    """The templates of one locale, loaded once from package data."""
    text = resources.files("odr.notify").joinpath("templates", f"{locale}.json").read_text("utf-8")
    data = json.loads(text)
    templates = {
        name: Template(name=name, locale=locale, subject=t["subject"], body=t["body"])
        for name, t in data["templates"].items()
    }
    for t in templates.values():
        _ = t.fields  # refuse malformed placeholders at load, not at send
    return Catalogue(locale=locale, templates=templates, values=data.get("values", {}))


def resolve_locale(locale: str | None) -> str:
    """The supported locale for a requested one: exact, then by language, else zh-CN."""
    if not locale:
        return DEFAULT_LOCALE
    if locale in LOCALES:
        return locale
    language = locale.replace("_", "-").split("-")[0].lower()
    for candidate in LOCALES:
        if candidate.split("-")[0].lower() == language:
            return candidate
    return DEFAULT_LOCALE


def find_template(name: str, locale: str | None) -> Template:
    """The template in the wanted locale, else in zh-CN; unknown everywhere is an error."""
    for candidate in dict.fromkeys((resolve_locale(locale), DEFAULT_LOCALE)):
        template = catalogue(candidate).templates.get(name)
        if template is not None:
            return template
    known = ", ".join(sorted(catalogue(DEFAULT_LOCALE).templates))
    raise TemplateError(f"unknown notification template {name!r} (known: {known})")


def render(name: str, locale: str | None, context: dict[str, Any]) -> Rendered:
    """Fill a template; raise ``TemplateError`` naming every missing field."""
    template = find_template(name, locale)
    missing = sorted(f for f in template.fields if context.get(f) in (None, ""))
    if missing:
        raise TemplateError(
            f"notification template {name!r} ({template.locale}) needs context field(s): "
            + ", ".join(missing)
        )
    values = catalogue(template.locale).values
    shown: dict[str, str] = {}
    for field in template.fields:
        raw = context[field]
        table = values.get(field)
        if table is not None:
            if str(raw) not in table:
                raise TemplateError(
                    f"notification template {name!r}: {field}={raw!r} is not one of "
                    + ", ".join(sorted(table))
                )
            shown[field] = table[str(raw)]
        else:
            shown[field] = str(raw)
    return Rendered(
        template=name,
        locale=template.locale,
        subject=template.subject.format_map(shown),
        body=template.body.format_map(shown),
    )


def local_time_text(moment: datetime) -> str:
    """A stored UTC instant as the ``at`` field of a template: Asia/Shanghai, to the minute."""
    return to_local(moment).strftime("%Y-%m-%d %H:%M")


def mask_mobile(mobile: str) -> str:
    """138****5678: enough to recognise a number in a message without disclosing it."""
    if len(mobile) < 8:
        return "*" * max(len(mobile) - 2, 0) + mobile[-2:]
    return f"{mobile[:3]}{'*' * (len(mobile) - 7)}{mobile[-4:]}"
