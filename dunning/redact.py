"""Masking natural persons' contact data in text that leaves the company (`dunning export --redact`).

What is masked, everywhere (debtor file copy, chronology, free text, letters, git audit trail):

* mobile numbers (`1[3-9]` + 9 digits, also `+86`, spaces or dashes): `139****1826`;
* landline numbers with an area code (`024-25801234`, `(024)25801234`, `02425801234`): `024-****`;
* email addresses: the part before `@` (`〔已隐去〕@syheavy.example.com`); collectors' git author
  emails too, since they are staff's personal addresses;
* 18-digit resident ID numbers (身份证号, with a valid birth date inside): `2101**********123X`;
* WeChat ids: every `wechat:` of a contact, and ids written after 微信/微信号/WeChat/vx/wx in text;
* the addresses of contacts, and of guarantors that are natural persons (no company word in the name).

What is kept: names (of people and companies: a lawyer needs to know who said what), company
addresses, credit codes, amounts, dates, invoice, contract and case numbers, tracking numbers,
bank accounts, hashes, and the creditor's own phone and email from `dunning.yaml` (printed on
every letter). Known values are replaced wherever they occur; the patterns catch the rest. The
patterns never match inside a longer run of letters or digits, so `INV-2025-012`, `1,280,000.00`,
`EMS1186537704521` and sha256 sums stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field

from dunning.model import Debtor
from dunning.model import Settings

MARK = {"zh": "〔已隐去〕", "en": "(redacted)"}
COMPANY_WORDS = ("公司", "集团", "厂", "中心", "合作社", "事务所", "银行", "商行", "研究院", "学校", "医院",
                 "Co.", "Co,", "Ltd", "LLC", "Inc", "GmbH", "AG", "S.A", "SARL", "SAS", "plc", "LLP", "Corp",
                 "Company", "Limited", "KG", "B.V", "N.V")

_EDGE_BEFORE = r"(?<![0-9A-Za-z_])(?<!\d[.,])"
_EDGE_AFTER = r"(?![0-9A-Za-z_])(?![.,]\d)"
MOBILE = re.compile(_EDGE_BEFORE + r"(?P<prefix>(?:\+|00)?86[- ]?)?(?P<head>1[3-9]\d)[- ]?(?P<mid>\d{4})[- ]?"
                    r"(?P<tail>\d{4})" + _EDGE_AFTER)
LANDLINE = re.compile(_EDGE_BEFORE + r"(?:\((?P<area1>0\d{2,3})\)\s?|(?P<area2>0\d{2,3})[- ]?)(?P<number>\d{7,8})"
                      r"(?:-\d{1,5})?" + _EDGE_AFTER)
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])(?P<local>[A-Za-z0-9._%+-]+)@(?P<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                   r"\.[A-Za-z]{2,})")
RESIDENT_ID = re.compile(_EDGE_BEFORE + r"(?P<id>[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])"
                         r"(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx])" + _EDGE_AFTER)
_WECHAT_ID = r"[A-Za-z][-_A-Za-z0-9]{5,19}(?![-_A-Za-z0-9])"
WECHAT = re.compile(
    r"(?<![A-Za-z])(?P<label>(?:(?:微信号|微信|WeChat(?:\s*ID)?|wechat(?:\s*id)?|vx|VX|wx|WX)\s*[:：]\s*|微信号\s*"
    r"|(?:微信|WeChat|wechat|vx|VX|wx|WX)\s+(?=[A-Za-z][A-Za-z]*[-_0-9])))(?P<id>" + _WECHAT_ID + ")")
# Tokens that are never personal and must survive the patterns intact: hashes and commit ids.
PROTECTED = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{40}(?:[0-9a-f]{24})?(?![0-9a-fA-F])")


def is_company(name: str) -> bool:
    return any(word.lower() in name.lower() for word in COMPANY_WORDS)


@dataclass
class Redactor:
    """Masks personal data in text: known values first (longest first), then the patterns."""

    lang: str = "zh"
    known: dict[str, str] = field(default_factory=dict)  # value -> replacement
    keep: set[str] = field(default_factory=set)  # never masked (the creditor's own phone and email)
    _known_pattern: re.Pattern[str] | None = None

    @property
    def mark(self) -> str:
        return MARK.get(self.lang, MARK["en"])

    def add(self, value: str | None, kind: str) -> None:
        """A personal value to mask wherever it appears: kind is mobile, phone, email, wechat or address."""
        if value is None:
            return
        value = value.strip()
        if len(value) < 3 or value in self.keep:
            return
        if kind == "email":
            replacement = self.email(value)
        elif kind in ("mobile", "phone"):
            masked = self._numbers(value)
            replacement = masked if masked != value else self.mark
        else:
            replacement = self.mark
        self.known[value] = replacement
        digits = re.sub(r"\D", "", value)
        if kind in ("mobile", "phone") and len(digits) >= 7 and digits != value:
            self.known.setdefault(digits, replacement)
        self._known_pattern = None

    def email(self, address: str) -> str:
        _local, _, domain = address.partition("@")
        return f"{self.mark}@{domain}" if domain else self.mark

    def _numbers(self, text: str) -> str:
        def mobile(match: re.Match[str]) -> str:
            return f"{match['head']}****{match['tail']}"

        def landline(match: re.Match[str]) -> str:
            return f"{match['area1'] or match['area2']}-****"

        def resident(match: re.Match[str]) -> str:
            value = match["id"]
            return value[:4] + "*" * 10 + value[-4:]

        text = RESIDENT_ID.sub(resident, text)
        text = MOBILE.sub(mobile, text)
        return LANDLINE.sub(landline, text)

    def _pattern(self) -> re.Pattern[str] | None:
        if self._known_pattern is None and self.known:
            values = sorted(self.known, key=len, reverse=True)
            alternatives = []
            for value in values:
                escaped = re.escape(value)
                # an id-like value must not match inside a longer word (wjg_1975 in wjg_19750)
                before = r"(?<![0-9A-Za-z_])" if re.match(r"[0-9A-Za-z_]", value) else ""
                after = r"(?![0-9A-Za-z_])" if re.search(r"[0-9A-Za-z_]$", value) else ""
                alternatives.append(before + escaped + after)
            self._known_pattern = re.compile("|".join(alternatives))
        return self._known_pattern

    def text(self, text: str) -> str:
        """The text with every personal value masked."""
        if not text:
            return text
        saved: list[str] = []

        def hold(value: str) -> str:
            saved.append(value)
            return f"\x00{len(saved) - 1}\x00"

        for value in sorted(self.keep, key=len, reverse=True):
            if value and value in text:
                text = text.replace(value, hold(value))
        text = PROTECTED.sub(lambda m: hold(m.group(0)), text)
        pattern = self._pattern()
        if pattern is not None:
            text = pattern.sub(lambda m: hold(self.known[m.group(0)]), text)
        text = EMAIL.sub(lambda m: hold(f"{self.mark}@{m['domain']}"), text)
        text = WECHAT.sub(lambda m: m["label"] + hold(self.mark), text)
        text = self._numbers(text)
        return re.sub("\x00(\\d+)\x00", lambda m: saved[int(m.group(1))], text)

    def values(self) -> list[str]:
        """The known personal values (for tests and for checking a bundle)."""
        return sorted(self.known)


def redactor_for(settings: Settings, debtors: Iterable[Debtor], *, extra: Iterable[tuple[str, str]] = ()) -> Redactor:
    """A redactor that knows the personal data of these debtors' contacts (and `extra` (value, kind) pairs,
    say contact data found only in older versions of a file)."""
    redactor = Redactor(lang=settings.language)
    for kept in (settings.creditor.phone, settings.creditor.email):
        if kept:
            redactor.keep.add(kept.strip())
    for debtor in debtors:
        for contact in debtor.contacts:
            redactor.add(contact.mobile, "mobile")
            redactor.add(contact.phone, "phone")
            redactor.add(contact.email, "email")
            redactor.add(contact.wechat, "wechat")
            redactor.add(contact.address, "address")
        for guarantee in debtor.guarantees:
            if not is_company(guarantee.guarantor):
                redactor.add(guarantee.address, "address")
    for value, kind in extra:
        redactor.add(value, kind)
    return redactor
