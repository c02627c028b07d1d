"""Chinese capital numerals (大写金额) by the PBOC rules for bills: zeros, 整, 壹拾, currencies."""

from decimal import Decimal

import pytest

from dunning.numerals import capital
from dunning.numerals import capital_amount
from dunning.numerals import currency_words


@pytest.mark.parametrize(("amount", "expected"), [
    ("0", "零元整"),
    ("0.00", "零元整"),
    ("0.05", "伍分"),
    ("0.50", "伍角整"),
    ("0.55", "伍角伍分"),
    ("1.50", "壹元伍角整"),
    ("10.00", "壹拾元整"),
    ("20", "贰拾元整"),
    ("101", "壹佰零壹元整"),
    ("1010", "壹仟零壹拾元整"),
    ("1409.50", "壹仟肆佰零玖元伍角整"),
    ("78500", "柒万捌仟伍佰元整"),
    ("100000.00", "壹拾万元整"),
    ("105000", "壹拾万伍仟元整"),
    ("120000", "壹拾贰万元整"),
    ("240800", "贰拾肆万零捌佰元整"),
    ("10010.01", "壹万零壹拾元零壹分"),
    ("1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
    ("100010000", "壹亿零壹万元整"),
    ("1000000500", "壹拾亿零伍佰元整"),
    ("999999999999999.99", "玖佰玖拾玖万亿玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
])
def test_capital(amount: str, expected: str) -> None:
    assert capital(Decimal(amount)) == expected


def test_negative_amounts_say_so() -> None:
    assert capital(Decimal("-120000")) == "负壹拾贰万元整"


def test_currency_is_said_first_and_renminbi_only_for_cny() -> None:
    assert capital_amount(Decimal("120000"), "CNY") == "人民币壹拾贰万元整"
    assert capital_amount(Decimal("28500"), "EUR") == "欧元贰万捌仟伍佰元整"
    assert capital_amount(Decimal("10"), "USD") == "美元壹拾元整"
    assert currency_words("XYZ") == "XYZ"
