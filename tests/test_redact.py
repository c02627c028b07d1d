"""Masking personal data: what is masked, what must survive, and the known values of a ledger."""

from __future__ import annotations

import pytest

from dunning.model import Debtor
from dunning.model import Settings
from dunning.redact import Redactor
from dunning.redact import redactor_for


@pytest.mark.parametrize(("text", "masked"), [
    ("电话13904051826，", "电话139****1826，"),
    ("+86 139-0405-1826", "139****1826"),
    ("138 0000 1111 是他的手机", "138****1111 是他的手机"),
    ("座机 024-25801234", "座机 024-****"),
    ("(024)25801234", "024-****"),
    ("0412-6658800转123", "0412-****转123"),
    ("wang.jg_1@syheavy.example.com", "〔已隐去〕@syheavy.example.com"),
    ("身份证210102198001011234号", "身份证2101**********1234号"),
    ("身份证 21010219800101123X", "身份证 2101**********123X"),
    ("微信号 wjg_1975", "微信号 〔已隐去〕"),
    ("微信：abcdefg", "微信：〔已隐去〕"),
    ("加微信 liumin0617 联系", "加微信 〔已隐去〕 联系"),
    ("WeChat: liu-min", "WeChat: 〔已隐去〕"),
])
def test_patterns_mask(text: str, masked: str) -> None:
    assert Redactor().text(text) == masked


@pytest.mark.parametrize("text", [
    "INV-2025-012 HT-2025-007 金额 1,280,000.00 元",
    "EMS1186537704521 SF1460288357126 ems-receipt-1186532470913.txt",
    "2025-04-10T09:35:00+08:00 2025-04-28",
    "工行回单 20250428-0031",
    "统一社会信用代码 91210106MA030LCC10",
    "账号 3301 0112 0910 0358 826",
    "(2026)辽0102民初1234号",
    "13800000000.00元",
    "微信发送对账单，对方回复已收到",
    "微信 WeChat",
    "sha256 0123456789abcdef13904051826abcdef0123456789abcdef0123456789abcd",
])
def test_what_is_not_personal_survives(text: str) -> None:
    assert Redactor().text(text) == text


def test_known_values_of_the_ledger_are_masked_wherever_they_appear() -> None:
    settings = Settings.model_validate({"format": 1, "creditor": {"name": "盛通", "phone": "024-23188600",
                                                                   "email": "caiwu@lnshengtong.example.com"}})
    debtor = Debtor.model_validate({
        "name": "沈阳重工机械有限公司",
        "contacts": [{"name": "王建国", "phone": "25801234", "wechat": "wjg_1975", "email": "wjg@qq.com",
                      "address": "沈阳市铁西区北二中路27号 办公楼3层"}],
        "guarantees": [{"guarantor": "王建国", "kind": "joint", "address": "沈阳市和平区某小区5-2-301"},
                       {"guarantor": "沈阳示例投资有限公司", "kind": "joint", "address": "沈阳市沈河区青年大街1号"}],
    })
    redactor = redactor_for(settings, [debtor])
    text = ("王建国（wjg_1975，座机25801234）住沈阳市和平区某小区5-2-301，办公沈阳市铁西区北二中路27号 办公楼3层；"
            "担保公司在沈阳市沈河区青年大街1号；wjg_19750 不是他；请回电 024-23188600 或 caiwu@lnshengtong.example.com")
    assert redactor.text(text) == (
        "王建国（〔已隐去〕，座机〔已隐去〕）住〔已隐去〕，办公〔已隐去〕；"
        "担保公司在沈阳市沈河区青年大街1号；wjg_19750 不是他；请回电 024-23188600 或 caiwu@lnshengtong.example.com")


def test_english_ledgers_get_an_english_mark() -> None:
    assert Redactor(lang="en").text("mail me: jo@example.com") == "mail me: (redacted)@example.com"
