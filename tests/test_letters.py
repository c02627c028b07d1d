"""Letters: the escalation ladder, what a letter says, safe rendering, overrides and the template lint."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from dunning.ledger import load_ledger
from dunning.ledger import parse_debtor
from dunning.ledger import parse_settings
from dunning.letters import BUILTIN_TEMPLATES
from dunning.letters import FORBIDDEN_WORDS
from dunning.letters import TEMPLATES
from dunning.letters import LetterError
from dunning.letters import Templates
from dunning.letters import build_letter
from dunning.letters import choose_template
from dunning.letters import claim_rows
from dunning.letters import forbidden_hits
from dunning.letters import lint_templates
from dunning.letters import lint_templates_in
from dunning.model import Debtor

SAMPLE_LEDGER = Path(__file__).resolve().parents[1] / "ledger"

SETTINGS = """\
format: 1
creditor:
  name: 辽宁测试贸易有限公司
  name_en: Liaoning Test Trading Co., Ltd.
  address: 沈阳市和平区示例路1号
  phone: 024-88880000
  email: ar@test.example.cn
  bank: {name: 中国工商银行沈阳和平支行, account: "6222 0000 0000 0000"}
collectors: {zhang.san: 张三}
"""
settings = parse_settings(SETTINGS.encode())

# INV-1 (¥120,000.00) fell due on Saturday 2026-01-31; INV-2 (¥30,000.00) on 2026-03-31.
HEAD = """\
name: 沈阳重工机械有限公司
name_en: Shenyang Heavy Machinery Co., Ltd.
address: 沈阳市铁西区北二中路27号
collector: zhang.san
contacts:
  - {name: 刘敏, role: 出纳, email: liu@example.cn}
  - {name: 王建国, role: 财务总监, decision_maker: true, email: wang@example.cn}
guarantees:
  - {guarantor: 沈阳示例投资有限公司, kind: joint, invoices: [INV-1], signed: 2025-12-01}
invoices:
  - {id: INV-1, contract: HT-2025-007, issued: 2026-01-01, due: 2026-01-31, amount: 120000.00}
  - {id: INV-2, contract: HT-2025-009, issued: 2026-03-01, due: 2026-03-31, amount: 30000.00}
"""


def debtor(events: str = "") -> Debtor:
    return parse_debtor(HEAD + "events:\n" + (events or "  []\n") if not events else HEAD + "events:\n" + events,
                        "debtors/shenyang-heavy.yaml")


def chosen(events: str, as_of: str) -> str:
    return choose_template(debtor(events), settings, date.fromisoformat(as_of)).template


# ---------------------------------------------------------------------------------------------
# the ladder


def test_ladder_follows_the_bucket_of_the_oldest_overdue_invoice() -> None:
    assert chosen("", "2026-01-20") == "reminder"  # nothing overdue yet: a courtesy reminder
    assert chosen("", "2026-02-10") == "reminder"  # 10 days: A
    assert chosen("", "2026-03-15") == "demand"  # 43 days: B
    assert chosen("", "2026-04-15") == "final"  # 74 days: C


def test_letters_already_sent_move_up_the_ladder() -> None:
    reminder = "  - {at: 2026-02-05, type: letter, template: reminder}\n"
    plain_letter = "  - {at: 2026-02-05, type: letter, via: registered_mail}\n"  # no template: a demand
    final = "  - {at: 2026-02-05, type: letter, template: final}\n"
    statement = "  - {at: 2026-02-05, type: letter, template: statement, demand: false}\n"
    assert chosen(reminder, "2026-02-10") == "demand"
    assert chosen(plain_letter, "2026-02-10") == "final"
    assert chosen(final, "2026-02-10") == "lawyer"
    assert chosen(statement, "2026-02-10") == "reminder"


def test_letters_of_an_earlier_episode_do_not_count() -> None:
    # A final notice sent before INV-1 fell due belongs to another, settled episode.
    assert chosen("  - {at: 2026-01-10, type: letter, template: final}\n", "2026-02-10") == "reminder"


def test_broken_promise_or_plan_behind_goes_to_the_final_notice() -> None:
    broken = "  - {at: 2026-02-03, type: call, outcome: promise, promise: {date: 2026-02-06, amount: 50000}}\n"
    assert chosen(broken, "2026-02-10") == "final"
    behind = ("  - {at: 2026-02-02, type: plan, installments: [{due: 2026-02-05, amount: 60000}, "
              "{due: 2026-03-05, amount: 60000}]}\n")
    assert chosen(behind, "2026-02-10") == "final"


@pytest.mark.parametrize(("events", "message"), [
    ("  - {at: 2026-02-03, type: call, outcome: promise, promise: {date: 2026-02-20, amount: 50000}}\n",
     "was promised by 2026-02-20"),
    ("  - {at: 2026-02-02, type: plan, installments: [{due: 2026-02-05, amount: 60000}, "
     "{due: 2026-03-05, amount: 60000}]}\n  - {at: 2026-02-05, type: payment, amount: 60000}\n",
     "instalment plan of 2026-02-02 is being kept"),
    ("  - {at: 2026-02-03, type: status, status: hold}\n", "status is hold"),
    ("  - {at: 2026-02-03, type: legal, action: filed, court: 沈阳市和平区人民法院}\n", "a legal action is running"),
])
def test_no_automatic_letter_while_collection_is_paused(events: str, message: str) -> None:
    with pytest.raises(LetterError, match=message):
        chosen(events, "2026-02-10")


def test_bankrupt_debtor_gets_the_claim() -> None:
    events = "  - {at: 2026-02-03, type: status, status: bankrupt, administrator: 辽宁正和律师事务所}\n"
    assert chosen(events, "2026-02-10") == "claim"


def test_nothing_to_chase_is_an_error_except_for_statement_and_acknowledgment() -> None:
    paid = "  - {at: 2026-04-01, type: payment, amount: 150000}\n"
    with pytest.raises(LetterError, match="nothing to chase as of 2026-04-10"):
        chosen(paid, "2026-04-10")
    with pytest.raises(LetterError, match="nothing to chase with a demand letter"):
        build_letter("shenyang-heavy", debtor(paid), settings, date(2026, 4, 10), template="demand")
    statement = build_letter("shenyang-heavy", debtor(paid), settings, date(2026, 4, 10), template="statement")
    assert statement.chased == []
    assert build_letter("shenyang-heavy", debtor(paid), settings, date(2026, 4, 10),
                        template="acknowledgment").chased == []


def test_disputed_invoices_are_left_out_and_noted() -> None:
    events = "  - {at: 2026-04-02, type: dispute, invoices: [INV-1], reason: 规格不符}\n"
    letter = build_letter("shenyang-heavy", debtor(events), settings, date(2026, 4, 10))
    assert letter.chased == ["INV-2"]
    assert letter.left_out == ["INV-1"]
    assert letter.notes == ["left out INV-1 (¥120,000.00): disputed"]
    text = Templates().markdown(letter)
    assert "INV-1（¥120,000.00）提出的异议" in text
    assert "| INV-1 |" not in text
    only_disputed = events.replace("[INV-1]", "[INV-1, INV-2]")
    with pytest.raises(LetterError, match=r"\(2 disputed invoice\(s\) left out\)"):
        build_letter("shenyang-heavy", debtor(only_disputed), settings, date(2026, 4, 10))


# ---------------------------------------------------------------------------------------------
# what a letter says


def test_a_demand_in_chinese() -> None:
    # As of 2026-03-15: INV-1 is 43 days overdue (B), INV-2 not yet due; both are chased.
    letter = build_letter("shenyang-heavy", debtor(), settings, date(2026, 3, 15))
    assert (letter.template, letter.reason) == ("demand", "bucket B")
    assert letter.reference == "shenyang-heavy-20260315-demand"
    assert letter.context["pay_by"] == date(2026, 3, 23)  # 7 days is Sunday 22 March: Monday
    assert letter.email == "wang@example.cn"  # the decision maker's, not the first contact's
    text = Templates().markdown(letter)
    assert "# 催款函" in text
    assert "编号：shenyang-heavy-20260315-demand" in text
    assert "致：**沈阳重工机械有限公司**（财务总监 王建国 收）" in text
    assert "| INV-1 | HT-2025-007 | 2026-01-31 | 43天 | ¥120,000.00 | ¥120,000.00 |" in text
    assert "| INV-2 | HT-2025-009 | 2026-03-31 | 未到期 | ¥30,000.00 | ¥30,000.00 |" in text
    assert "合计未付：¥150,000.00（大写：人民币壹拾伍万元整）" in text
    assert "请贵司于2026年3月23日前" in text
    assert "账号：6222 0000 0000 0000" in text
    assert "## 回执" in text
    assert "编号为HT-2025-007、HT-2025-009的合同" in text


def test_same_letter_in_english() -> None:
    letter = build_letter("shenyang-heavy", debtor(), settings, date(2026, 3, 15), lang="en")
    text = Templates().markdown(letter)
    assert "# Demand for Payment" in text
    assert "**Shenyang Heavy Machinery Co., Ltd.**" in text
    assert "Total outstanding: **CNY 150,000.00**" in text
    assert "by 23 March 2026" in text
    assert "大写" not in text


def test_part_payment_is_not_chased_again() -> None:
    letter = build_letter("shenyang-heavy", debtor("  - {at: 2026-02-20, type: payment, amount: 100000}\n"),
                          settings, date(2026, 3, 15), template="final")
    text = Templates().markdown(letter)
    assert "| INV-1 | HT-2025-007 | 2026-01-31 | 43天 | ¥120,000.00 | ¥20,000.00 |" in text
    assert "¥50,000.00（大写：人民币伍万元整）" in text


def test_foreign_currency_says_its_name_in_capitals() -> None:
    eur = HEAD.replace("amount: 120000.00}", "amount: 28500.00, currency: EUR}")
    letter = build_letter("x", parse_debtor(eur, "debtors/x.yaml"), settings, date(2026, 3, 15))
    text = Templates().markdown(letter)
    assert "¥30,000.00（大写：人民币叁万元整）；€28,500.00（大写：欧元贰万捌仟伍佰元整）" in text


def test_reference_is_stable_for_the_same_day_and_pay_by_can_be_set() -> None:
    one = build_letter("shenyang-heavy", debtor(), settings, date(2026, 3, 15), pay_by=date(2026, 3, 31))
    two = build_letter("shenyang-heavy", debtor(), settings, date(2026, 3, 15))
    assert one.reference == two.reference
    assert "请贵司于2026年3月31日前" in Templates().markdown(one)
    with pytest.raises(LetterError, match="--pay-by: 2026-03-01 is before"):
        build_letter("shenyang-heavy", debtor(), settings, date(2026, 3, 15), pay_by=date(2026, 3, 1))


def test_acknowledgment_is_a_clear_written_acknowledgment_with_signature_lines() -> None:
    letter = build_letter("shenyang-heavy", debtor(), settings, date(2026, 3, 15), template="acknowledgment")
    text = Templates().markdown(letter)
    assert "# 债务确认书" in text
    assert "尚欠贵司货款共计¥150,000.00（大写：人民币壹拾伍万元整）" in text
    assert "本公司对上述债务的真实性及金额均无异议" in text
    assert "债务人（盖章）：沈阳重工机械有限公司" in text
    assert "法定代表人或授权代表（签字）" in text
    assert "日期：＿＿＿＿年＿＿月＿＿日" in text


def test_guarantor_letter_covers_the_guaranteed_invoices_only() -> None:
    letter = build_letter("shenyang-heavy", debtor(), settings, date(2026, 3, 15), template="guarantor")
    assert letter.addressee == "沈阳示例投资有限公司"
    assert letter.chased == ["INV-1"]
    text = Templates().markdown(letter)
    assert "致：**沈阳示例投资有限公司**（保证人）" in text
    assert "贵司于2025年12月1日向我司出具保证" in text
    assert "提供连带责任保证" in text
    assert "第六百八十八条" in text
    assert "合计：¥120,000.00（大写：人民币壹拾贰万元整）" in text
    with pytest.raises(LetterError, match="no guarantee by 'nobody'"):
        build_letter("shenyang-heavy", debtor(), settings, date(2026, 3, 15), template="guarantor",
                     guarantor="nobody")


def test_claim_interest_stops_when_the_petition_is_accepted() -> None:
    events = ("  - {at: 2026-03-02, type: status, status: bankrupt, administrator: 辽宁正和律师事务所, "
              "claims_deadline: 2026-05-30}\n")
    letter = build_letter("shenyang-heavy", debtor(events), settings, date(2026, 3, 15),
                          interest_rate=Decimal("3.65"))
    assert letter.template == "claim"
    assert letter.addressee == "辽宁正和律师事务所"
    # INV-1: 120,000.00 x 3.65% x 30 days (2026-02-01 .. 2026-03-02) / 365 = 360.00; INV-2 was not due yet.
    rows = {r["id"]: r for r in letter.context["claim"]}
    assert (rows["INV-1"]["interest_days"], rows["INV-1"]["interest"]) == (30, Decimal("360.00"))
    assert rows["INV-2"]["interest"] == Decimal("0.00")
    text = Templates().markdown(letter)
    assert "申报债权总额¥150,360.00（大写：人民币壹拾伍万零叁佰陆拾元整），其中本金¥150,000.00，利息¥360.00" in text
    assert "债权申报期限：2026年5月30日" in text
    assert "第四十六条" in text


def test_claim_rows_without_a_rate_claim_no_interest() -> None:
    row = {"id": "X", "open": Decimal("1000.00"), "agreed_due": date(2026, 1, 1), "currency": "CNY"}
    assert claim_rows([row], date(2026, 2, 1), None)[0]["interest"] == Decimal("0.00")


def test_statement_has_the_aging_table() -> None:
    events = "  - {at: 2026-02-20, type: payment, amount: 100000, ref: 工行回单 001}\n"
    letter = build_letter("shenyang-heavy", debtor(events), settings, date(2026, 4, 15), template="statement")
    assert letter.demand is False
    text = Templates().markdown(letter)
    assert "| 2026-02-20 | ¥100,000.00 | 工行回单 001 |" in text
    # INV-1: 74 days overdue (61+), ¥20,000 open; INV-2: 15 days (1-30), ¥30,000.
    assert "| 币种 | 未到期 | 逾期1-30天 | 逾期31-60天 | 逾期61天以上 | 合计 |" in text
    assert "| CNY | 0.00 | 30,000.00 | 0.00 | 20,000.00 | 50,000.00 |" in text


def test_lawyer_letter_carries_the_case_summary_for_counsel() -> None:
    events = ("  - {at: 2026-02-05, type: letter, template: final, via: registered_mail, tracking: EMS1, "
              "delivered: 2026-02-07}\n")
    letter = build_letter("shenyang-heavy", debtor(events), settings, date(2026, 3, 15))
    assert letter.template == "lawyer"
    text = Templates().markdown(letter)
    assert "律师事务所（以下简称“本所”）接受辽宁测试贸易有限公司" in text
    assert "附：案件摘要（供律师审阅，不随函发出）" in text
    assert "| 2026-02-05 | 函件 | final | 挂号信 | EMS1 | 2026-02-07 |" in text
    # Three years from the delivered demand (dunning.deadlines); provisional until the 2029 holidays are known.
    assert "| INV-1 | 2029-02-07（暂定） | 未届满 |" in text


# ---------------------------------------------------------------------------------------------
# every template, both languages, every sample debtor


def test_every_template_renders_for_every_sample_debtor() -> None:
    ledger = load_ledger(SAMPLE_LEDGER, cache=False)
    templates = Templates(SAMPLE_LEDGER)
    as_of = date(2026, 11, 28)
    rendered = dict.fromkeys(TEMPLATES, 0)
    for debtor_id, one in ledger.debtors.items():
        for name in TEMPLATES:
            for lang in ("zh", "en"):
                try:
                    letter = build_letter(debtor_id, one, ledger.settings, as_of, template=name, lang=lang)
                except LetterError:
                    continue  # nothing to chase, no plan, no guarantee, not bankrupt
                text = templates.markdown(letter)
                html = templates.html(letter)
                name_shown = one.name if lang == "zh" else (one.name_en or one.name)
                assert name_shown in text or letter.addressee in text, (debtor_id, name, lang)
                assert "None" not in text and "None" not in html, (debtor_id, name, lang)
                assert forbidden_hits(text, FORBIDDEN_WORDS) == [], (debtor_id, name, lang)
                assert letter.reference in text and letter.title in text
                rendered[name] += 1
    assert all(count >= 2 for count in rendered.values()), rendered


def test_builtin_templates_pass_the_lint() -> None:
    assert lint_templates_in(Templates(), BUILTIN_TEMPLATES, "templates/", settings) == []


# ---------------------------------------------------------------------------------------------
# overrides and the sandbox


@pytest.fixture
def ledger_root(tmp_path: Path) -> Path:
    root = tmp_path / "ar"
    (root / "debtors").mkdir(parents=True)
    (root / "templates" / "zh").mkdir(parents=True)
    (root / "dunning.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "debtors" / "shenyang-heavy.yaml").write_text(HEAD + "events: []\n", encoding="utf-8")
    return root


def override(root: Path, text: str, name: str = "demand") -> str:
    (root / "templates" / "zh" / f"{name}.md.j2").write_text(text, encoding="utf-8")
    letter = build_letter("shenyang-heavy", debtor(), settings, date(2026, 3, 15), template=name)
    return Templates(root).markdown(letter)


def test_ledger_template_overrides_the_builtin_by_name(ledger_root: Path) -> None:
    text = override(ledger_root, '{% extends "zh/_layout.md.j2" %}{% block body %}请付款 {{ totals[0].amount | '
                                 'capital(totals[0].currency) }}。{% endblock %}')
    assert "请付款 人民币壹拾伍万元整。" in text
    assert "# 催款函" in text  # the built-in layout still frames it


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ creditor.__class__.__subclasses__() }}",
    "{{ lipsum.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ invoices.append(1) }}",
    "{% set x = debtor.update({'name': 'x'}) %}",
    "{{ invoices[0].pop('open') }}",
    "{{ range(10 ** 9) | list | length }}",
])
def test_sandbox_blocks_escapes_and_mutation(ledger_root: Path, source: str) -> None:
    with pytest.raises(LetterError, match=r"templates/zh/demand.md.j2:1: "):
        override(ledger_root, source)


def test_missing_variable_names_template_and_line(ledger_root: Path) -> None:
    with pytest.raises(LetterError) as error:
        override(ledger_root, "第一行\n{{ debtor.nam }}\n")
    assert error.value.message.startswith("templates/zh/demand.md.j2:2: 'dict object' has no attribute 'nam'")


def test_template_names_are_plain_identifiers() -> None:
    for bad in ("../x", "zh/demand", "Demand", "", "x.md"):
        with pytest.raises(LetterError, match="not a template name"):
            build_letter("shenyang-heavy", debtor(), settings, date(2026, 3, 15), template=bad)


def test_a_template_linked_out_of_the_ledger_is_not_used(ledger_root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "evil.md.j2"
    outside.write_text("OUTSIDE", encoding="utf-8")
    os.symlink(outside, ledger_root / "templates" / "zh" / "demand.md.j2")
    letter = build_letter("shenyang-heavy", debtor(), settings, date(2026, 3, 15))
    with pytest.raises(LetterError, match=r"^templates/zh/demand\.md\.j2: is a symbolic link") as refused:
        Templates(ledger_root).markdown(letter)  # refused, not replaced by the built-in demand
    assert refused.value.code == 1
    problems = lint_templates(ledger_root, load_ledger(ledger_root, cache=False))
    assert [p.message for p in problems] == ["is a symbolic link; templates must be plain files inside the ledger"]


def test_ledger_text_cannot_inject_html_or_break_tables() -> None:
    hostile = HEAD.replace("name: 沈阳重工机械有限公司", "name: \"<script>alert(1)</script>沈阳|重工\"").replace(
        "contract: HT-2025-007", "contract: 'HT|007'")
    letter = build_letter("x", parse_debtor(hostile, "debtors/x.yaml"), settings, date(2026, 3, 15))
    templates = Templates()
    assert "| INV-1 | HT\\|007 |" in templates.markdown(letter)
    html = templates.html(letter)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;沈阳|重工" in html
    assert "<td>HT|007</td>" in html


# ---------------------------------------------------------------------------------------------
# the lint of `dunning check`


def test_lint_finds_threats_unknown_variables_and_syntax(ledger_root: Path) -> None:
    (ledger_root / "dunning.yaml").write_text(SETTINGS + "forbidden_words: [限期清场]\n", encoding="utf-8")
    folder = ledger_root / "templates" / "zh"
    (folder / "demand.md.j2").write_text('{% extends "zh/_layout.md.j2" %}\n{% block body %}\n'
                                         "请付款，否则后果自负。\n限期清场。\n{% endblock %}\n", encoding="utf-8")
    (folder / "thanks.md.j2").write_text("谢谢 {{ debtr.name }}\n", encoding="utf-8")
    (folder / "broken.md.j2").write_text("{% if lang %}\n", encoding="utf-8")
    (folder / "final.md.j2").write_text("{{ debtor.nam }}\n", encoding="utf-8")
    (ledger_root / "templates" / "en").mkdir()
    (ledger_root / "templates" / "en" / "reminder.md.j2").write_text("Pay now or else.\n", encoding="utf-8")
    problems = lint_templates(ledger_root, load_ledger(ledger_root, cache=False))
    assert [str(p) for p in problems] == [
        "templates/en/reminder.md.j2:1:9: threatening or abusive wording 'or else': state lawful next steps "
        "neutrally (e.g. 我司将依法通过诉讼途径主张权利)",
        "templates/zh/broken.md.j2:1:1: template syntax: Unexpected end of template. Jinja was looking for the "
        "following tags: 'elif' or 'else' or 'endif'. The innermost block that needs to be closed is 'if'.",
        "templates/zh/demand.md.j2:3:7: threatening or abusive wording '后果自负': state lawful next steps "
        "neutrally (e.g. 我司将依法通过诉讼途径主张权利)",
        "templates/zh/demand.md.j2:4:1: threatening or abusive wording '限期清场': state lawful next steps "
        "neutrally (e.g. 我司将依法通过诉讼途径主张权利)",
        "templates/zh/final.md.j2:1:1: 'dict object' has no attribute 'nam' (rendering zh/final.md.j2)",
        "templates/zh/thanks.md.j2:1:7: unknown variable 'debtr' (the variables a letter template gets are "
        "listed in the README, section Letters)",
    ]


def test_lint_is_silent_without_templates(tmp_path: Path) -> None:
    root = tmp_path / "ar"
    (root / "debtors").mkdir(parents=True)
    (root / "dunning.yaml").write_text(SETTINGS, encoding="utf-8")
    assert lint_templates(root, load_ledger(root, cache=False)) == []
