"""Templates: both locales render, fallbacks, and clear errors for what is missing."""

from __future__ import annotations

import pytest

from odr.notify.templates import (
    LOCALES,
    TemplateError,
    catalogue,
    find_template,
    mask_mobile,
    render,
    resolve_locale,
)

REQUIRED = {"otp_code", "password_changed", "mobile_changed", "welcome", "login_new_device"}


def test_otp_code_in_chinese_names_purpose_code_and_minutes() -> None:
    out = render("otp_code", "zh-CN", {"code": "482913", "minutes": 5, "purpose": "login"})
    assert out.locale == "zh-CN"
    assert "482913" in out.body
    assert "5分钟内有效" in out.body
    assert "登录" in out.body
    assert out.subject == "您的登录验证码"


def test_otp_code_in_english() -> None:
    out = render("otp_code", "en", {"code": "482913", "minutes": 10, "purpose": "change_mobile"})
    assert out.locale == "en"
    assert out.body.startswith("[ODR] Your code to change your mobile number is 482913.")
    assert "expires in 10 minutes" in out.body
    assert out.subject == "Your code to change your mobile number"


@pytest.mark.parametrize("purpose", ["login", "verify_mobile", "reset_password", "change_mobile", "sign"])
def test_every_otp_purpose_has_text_in_both_locales(purpose: str) -> None:
    for locale in LOCALES:
        text = catalogue(locale).values["purpose"][purpose]
        out = render("otp_code", locale, {"code": "1", "minutes": 5, "purpose": purpose})
        assert text in out.body and text in out.subject
        assert "_" not in out.body  # never the raw key


def test_unknown_purpose_is_refused_with_the_known_ones() -> None:
    with pytest.raises(TemplateError, match=r"purpose='pay'.*login"):
        render("otp_code", "zh-CN", {"code": "1", "minutes": 5, "purpose": "pay"})


def test_missing_context_fields_are_all_named() -> None:
    with pytest.raises(TemplateError) as err:
        render("otp_code", "zh-CN", {"purpose": "login"})
    assert "needs context field(s): code, minutes" in str(err.value)


def test_unknown_template_is_an_error_listing_known_templates() -> None:
    with pytest.raises(TemplateError, match=r"unknown notification template 'otp'.*otp_code"):
        render("otp", "zh-CN", {})


@pytest.mark.parametrize(("asked", "used"), [("en-US", "en"), ("en_GB", "en"), ("zh", "zh-CN"),
                                             ("fr", "zh-CN"), ("", "zh-CN"), (None, "zh-CN")])
def test_locale_falls_back_to_language_then_chinese(asked: str | None, used: str) -> None:
    assert resolve_locale(asked) == used
    assert render("welcome", asked, {"name": "张三"}).locale == used


def test_every_locale_has_the_required_templates_with_the_same_fields() -> None:
    for locale in LOCALES:
        assert set(catalogue(locale).templates) >= REQUIRED, locale
    for name in catalogue("zh-CN").templates:
        zh = find_template(name, "zh-CN")
        en = find_template(name, "en")
        assert en.locale == "en", f"{name} has no English text"
        assert zh.fields == en.fields, name


def test_all_templates_render_in_both_locales() -> None:
    context = {"code": "123456", "minutes": 5, "purpose": "sign", "name": "李四",
               "at": "2026-11-02 09:00", "mobile": mask_mobile("13812345678"),
               "device": "Chrome on Windows", "address": "203.0.113.7"}
    for locale in LOCALES:
        for name in REQUIRED:
            out = render(name, locale, context)
            assert out.subject and out.body
            assert "{" not in out.body and "}" not in out.body


def test_context_values_are_not_formatted_again() -> None:
    out = render("welcome", "en", {"name": "{code}"})
    assert out.body.startswith("{code}, welcome")


def test_mask_mobile_keeps_prefix_and_last_four() -> None:
    assert mask_mobile("13812345678") == "138****5678"
