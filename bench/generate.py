"""Generate a realistic large ledger (10k or 100k debtors) for benchmarks: `python bench/generate.py N DIR`.

Files look like the sample ledger: Chinese names and notes, 3-8 invoices, up to 30 events, ~2.5 KB.
The output is deterministic for a given N (seeded), and goes to an ignored folder (bench/out/).
"""

from __future__ import annotations

import random
import sys
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from dunning.model import credit_code_check_char

CITIES = [("辽宁", "沈阳"), ("辽宁", "大连"), ("辽宁", "鞍山"), ("辽宁", "抚顺"), ("吉林", "长春"),
          ("黑龙江", "哈尔滨"), ("河北", "唐山"), ("山东", "青岛"), ("辽宁", "营口"), ("辽宁", "锦州")]
INDUSTRIES = ["机械制造", "建材", "化工", "食品", "物流", "电子", "汽车配件", "钢铁", "医药", "纺织"]
WORDS = ["重工", "机械", "建材", "化工", "食品", "物流", "电子", "汽配", "钢铁", "制药", "纺织", "精密"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "勇", "军", "杰", "涛", "明", "超"]
ROLES = ["财务总监", "财务经理", "总经理", "出纳", "采购经理"]
SUMMARIES = ["对方称资金紧张，承诺月底前先付一部分。", "财务经理出差，约定下周再联系。",
             "对方确认欠款金额无异议，正在走付款审批流程。", "电话无人接听，已发短信提醒。",
             "对方表示货物有质量问题，需核实后付款。", "已寄出催款函，对方签收。"]
HEADER = """format: 1
creditor:
  name: 辽宁示例贸易有限公司
  department: 财务部
  address: 沈阳市和平区示例路1号
  phone: 024-88880000
  email: ar@example.cn
  bank: {name: 中国工商银行沈阳和平支行, account: "6222 0000 0000 0000"}
collectors: {zhang.san: 张三, li.si: 李四, wang.fang: 王芳}
"""
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_code(rng: random.Random) -> str:
    body = "91" + "".join(rng.choice("0123456789") for _ in range(6)) + "".join(
        rng.choice(ALPHABET) for _ in range(9))
    return body + credit_code_check_char(body)


def debtor_text(rng: random.Random, number: int) -> str:
    province, city = rng.choice(CITIES)
    name = f"{city}{rng.choice(WORDS)}{rng.choice(WORDS)}有限公司"
    person = rng.choice(SURNAMES) + rng.choice(GIVEN)
    collector = rng.choice(["zhang.san", "li.si", "wang.fang"])
    lines = [
        f"name: {name}",
        f"credit_code: {credit_code(rng)}",
        f"industry: {rng.choice(INDUSTRIES)}",
        f"region: {province}/{city}",
        f"collector: {collector}",
        "terms_days: 30",
        f"credit_limit: {rng.choice([200000, 500000, 1000000])}",
        "contacts:",
        f"  - name: {person}",
        f"    role: {rng.choice(ROLES)}",
        "    decision_maker: true",
        f"    phone: 0{rng.randint(10, 99)}-{rng.randint(20000000, 89999999)}",
        f'    mobile: "1{rng.choice("3589")}{rng.randint(100000000, 999999999)}"',
        f"    wechat: wx{rng.randint(100000, 999999)}",
        f"    address: {city}市示例区示例街{rng.randint(1, 200)}号",
        "invoices:",
    ]
    start = date(2023, 1, 1) + timedelta(days=rng.randint(0, 900))
    invoices = []
    for index in range(rng.randint(3, 8)):
        issued = start + timedelta(days=30 * index + rng.randint(0, 10))
        amount = f"{rng.randint(5000, 900000)}.{rng.randint(0, 99):02d}"
        invoice_id = f"INV-{number:06d}-{index}"
        invoices.append((invoice_id, issued, amount))
        lines.append(f"  - {{id: {invoice_id}, contract: HT-{number:06d}, issued: {issued}, "
                     f"due: {issued + timedelta(days=30)}, amount: {amount}}}")
    lines.append("events:")
    moment = datetime.combine(invoices[0][1] + timedelta(days=35), datetime.min.time()).replace(hour=9)
    for _ in range(rng.randint(5, 30)):
        moment = (moment + timedelta(days=rng.randint(3, 20))).replace(hour=rng.randint(9, 16),
                                                                         minute=rng.randint(0, 59))
        kind = rng.random()
        stamp = moment.strftime("%Y-%m-%dT%H:%M:00+08:00")
        if kind < 0.45:
            lines += [f"  - at: {stamp}", "    type: call", f"    by: {collector}", f"    with: {person}",
                      "    outcome: reached", f"    summary: {rng.choice(SUMMARIES)}"]
            if rng.random() < 0.3:
                lines.append(f"    promise: {{date: {(moment + timedelta(days=10)).date()}, "
                             f"amount: {rng.randint(1, 50) * 1000}}}")
        elif kind < 0.75:
            lines += [f"  - at: {moment.date()}", "    type: payment",
                      f"    amount: {rng.randint(1000, 200000)}.{rng.randint(0, 99):02d}",
                      f"    ref: 工行回单 {moment:%Y%m%d}-{rng.randint(1, 999):03d}"]
        elif kind < 0.9:
            lines += [f"  - at: {stamp}", "    type: letter", f"    by: {collector}", "    via: registered_mail",
                      f"    tracking: EMS{rng.randint(10**11, 10**12 - 1)}",
                      f"    delivered: {(moment + timedelta(days=2)).date()}"]
        else:
            lines += [f"  - at: {stamp}", "    type: wechat", f"    by: {collector}", f"    with: {person}",
                      "    outcome: reached", f"    summary: {rng.choice(SUMMARIES)}"]
    return "\n".join(lines) + "\n"


def generate(count: int, folder: Path) -> None:
    rng = random.Random(count)
    (folder / "debtors").mkdir(parents=True, exist_ok=True)
    (folder / "dunning.yaml").write_text(HEADER, encoding="utf-8")
    for number in range(count):
        path = folder / "debtors" / f"d{number:06d}.yaml"
        path.write_text(debtor_text(rng, number), encoding="utf-8")


if __name__ == "__main__":
    generate(int(sys.argv[1]), Path(sys.argv[2]))
