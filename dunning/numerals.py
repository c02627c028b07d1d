"""Amounts in Chinese capital numerals (大写金额), as written on letters, cheques and receipts.

The rules are those of the People's Bank of China for filling in bills and settlement documents
(《正确填写票据和结算凭证的基本规定》):

* digits are 零壹贰叁肆伍陆柒捌玖, units 拾佰仟 within a group of four and 万亿 between groups;
  a leading ten is written 壹拾 (10 -> 壹拾元整, 120000 -> 壹拾贰万元整);
* one or more zeros between non-zero digits are written as a single 零 (10,010 -> 壹万零壹拾);
  trailing zeros of the yuan part are not written (100,000 -> 壹拾万);
* an amount that ends at 元 or 角 ends with 整 (壹拾元整, 壹元伍角整); one that ends at 分 does not;
  when 角 is zero and 分 is not, 零 is written after 元 (10,010.01 -> 壹万零壹拾元零壹分);
* zero is 零元整; an amount of cents only starts at the 角 or 分 (0.05 -> 伍分).

The currency is said before the amount: 人民币 for CNY, 欧元 for EUR, 美元 for USD and so on
(`currency_words`); 元/角/分 serve as the units for every currency, as Chinese banks write them.
"""

from __future__ import annotations

from decimal import Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
BIG_UNITS = ("", "万", "亿", "万亿")
CENT = Decimal("0.01")

CURRENCY_WORDS = {
    "CNY": "人民币",
    "EUR": "欧元",
    "USD": "美元",
    "GBP": "英镑",
    "JPY": "日元",
    "HKD": "港币",
    "CHF": "瑞士法郎",
    "KRW": "韩元",
    "RUB": "卢布",
    "AUD": "澳大利亚元",
    "CAD": "加拿大元",
    "SGD": "新加坡元",
}


def _group(value: int) -> str:
    """0 < value < 10000 in capitals, zeros inside collapsed to one 零, trailing zeros dropped."""
    digits = f"{value:04d}"
    out: list[str] = []
    zero_pending = False
    started = False
    for position, char in enumerate(digits):
        digit = int(char)
        unit = SMALL_UNITS[3 - position]
        if digit == 0:
            if started:
                zero_pending = True
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        out.append(DIGITS[digit] + unit)
        started = True
    return "".join(out)


def _integer(value: int) -> str:
    """The yuan part in capitals (value > 0)."""
    groups: list[int] = []
    while value:
        groups.append(value % 10000)
        value //= 10000
    if len(groups) > len(BIG_UNITS):
        raise ValueError("amount too large for capital numerals")
    out: list[str] = []
    zero_pending = False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            zero_pending = bool(out)
            continue
        # A zero group before, or a group with fewer than four digits after a higher group, reads 零.
        if out and (zero_pending or group < 1000):
            out.append("零")
        out.append(_group(group) + BIG_UNITS[index])
        zero_pending = False
    return "".join(out)


def capital(amount: Decimal) -> str:
    """`Decimal("120000")` -> 壹拾贰万元整; `Decimal("10010.01")` -> 壹万零壹拾元零壹分; 0 -> 零元整."""
    quantized = amount.quantize(CENT)
    if quantized < 0:
        return "负" + capital(-quantized)
    cents = int(quantized * 100)
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    if yuan == 0 and rest == 0:
        return "零元整"
    out = _integer(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return out + "整"
    if jiao == 0:
        return out + ("零" if yuan else "") + DIGITS[fen] + "分"
    out += DIGITS[jiao] + "角"
    return out + (DIGITS[fen] + "分" if fen else "整")


def currency_words(currency: str) -> str:
    """人民币 for CNY, 欧元 for EUR...; an unknown code is written as it is (`CHF` -> 瑞士法郎, `XYZ` -> XYZ)."""
    return CURRENCY_WORDS.get(currency, currency)


def capital_amount(amount: Decimal, currency: str) -> str:
    """The amount with its currency as said in Chinese: 人民币壹拾贰万元整, 欧元贰万捌仟伍佰元整."""
    return currency_words(currency) + capital(amount)
