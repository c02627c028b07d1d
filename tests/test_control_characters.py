"""Control and bidi characters: refused in names and free text by the model, shown escaped by the renderers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dunning.cli.app import app
from dunning.ledger import LedgerErrors
from dunning.ledger import load_settings
from dunning.ledger import parse_debtor
from dunning.render import Column
from dunning.render import dump_json
from dunning.render import markdown
from dunning.render import printable
from dunning.render import table

HAZARDS = ("\x1b", "\x07", "\x9b", "\x7f", "\r", "\u202e", "\u2066", "\u200f", "\u2028")
TEXT = "text (line breaks and tabs are)"


@pytest.mark.parametrize(("debtor", "error"), [
    ('name: "Evil\\e[2J\\e]0;owned\\a Co\\u202egnp.exe"\n',
     "debtors/x.yaml:1:1: name: control character U+001B is not allowed in a name"),
    ('name: "Co\\u202egnp.exe"\n',
     "debtors/x.yaml:1:1: name: bidirectional control U+202E is not allowed in a name"),
    ('name: x\nname_en: "A\\tB"\n',
     "debtors/x.yaml:2:1: name_en: control character U+0009 is not allowed in a name"),
    ('name: x\ncontacts:\n  - {name: "\\u2066王"}\n',
     "debtors/x.yaml:3:6: contacts[0].name: bidirectional control U+2066 is not allowed in a name"),
    ('name: x\ncontacts:\n  - name: 王\n    note: "\\x9b31m"\n',
     f"debtors/x.yaml:4:5: contacts[0].note: control character U+009B is not allowed in {TEXT}"),
    ('name: x\nguarantees:\n  - {guarantor: "担保\\n公司", kind: joint}\n',
     "debtors/x.yaml:3:6: guarantees[0].guarantor: control character U+000A is not allowed in a name"),
    ('name: x\ninvoices:\n  - {id: I, issued: 2026-01-01, due: 2026-01-31, amount: 1, description: "\\u202a"}\n',
     f"debtors/x.yaml:3:61: invoices[0].description: bidirectional control U+202A is not allowed in {TEXT}"),
    ('name: x\nevents:\n  - {at: 2026-01-01, type: call, with: "王\\r"}\n',
     "debtors/x.yaml:3:34: events[0].with: control character U+000D is not allowed in a name"),
    ('name: x\nevents:\n  - {at: 2026-01-01, type: call, next_action: "\\x07"}\n',
     f"debtors/x.yaml:3:34: events[0].next_action: control character U+0007 is not allowed in {TEXT}"),
    ('name: x\nevents:\n  - {at: 2026-01-01, type: note, summary: "ok\\r\\n"}\n',
     f"debtors/x.yaml:3:34: events[0].summary: control character U+000D is not allowed in {TEXT}"),
    ('name: x\nevents:\n  - {at: 2026-01-01, type: dispute, reason: "\\x7f"}\n',
     f"debtors/x.yaml:3:37: events[0].reason: control character U+007F is not allowed in {TEXT}"),
    ('name: x\nguarantees: [{guarantor: G, kind: joint}]\nevents:\n'
     '  - {at: 2026-01-01, type: guarantor_demand, guarantor: "G\\u202d"}\n',
     "debtors/x.yaml:4:46: events[0].guarantor: bidirectional control U+202D is not allowed in a name"),
])
def test_control_and_bidi_characters_are_refused_where_they_stand(debtor: str, error: str) -> None:
    with pytest.raises(LedgerErrors) as refused:
        parse_debtor(debtor, "debtors/x.yaml")
    assert [str(e) for e in refused.value.errors] == [error]


def test_free_text_keeps_its_line_breaks_and_tabs_and_names_any_script() -> None:
    debtor = parse_debtor("name: 沈阳重工机械有限公司 (Shenyang) «Heavy»\nterms_days: 30\n"
                          "contacts:\n  - {name: O'Brien-Müller, note: \"早上\\n\\t打\"}\n"
                          "events:\n  - at: 2026-01-01\n    type: note\n    summary: |-\n      第一行\n"
                          "      \tsecond\n", "debtors/x.yaml")
    assert debtor.contacts[0].note == "早上\n\t打"
    assert debtor.events[0].summary == "第一行\n\tsecond"


@pytest.mark.parametrize(("settings", "error"), [
    ('format: 1\ncreditor: {name: "示例\\e[2J"}\n',
     "dunning.yaml:2:12: creditor.name: control character U+001B is not allowed in a name"),
    ('format: 1\ncreditor: {name: 示例}\ncollectors: {zhang.san: "张三\\u202e"}\n',
     "dunning.yaml:3:14: collectors.zhang.san: bidirectional control U+202E is not allowed in a name"),
])
def test_names_in_the_settings_are_refused_too(tmp_path: Path, settings: str, error: str) -> None:
    (tmp_path / "dunning.yaml").write_text(settings, encoding="utf-8")
    with pytest.raises(LedgerErrors) as refused:
        load_settings(tmp_path)
    assert [str(e) for e in refused.value.errors] == [error]


def test_printable_shows_every_control_and_bidi_character() -> None:
    assert printable("Evil\x1b[2J\x1b]0;owned\x07 Co\u202egnp.exe") == "Evil␛[2J␛]0;owned␇ Co<U+202E>gnp.exe"
    assert printable("a\nb\tc\x7f\x9b\u200f\u2066\u2028") == "a␊b␉c␡<U+009B><U+200F><U+2066><U+2028>"
    assert printable("沈阳重工 O'Brien «x» ¥70,000.00") == "沈阳重工 O'Brien «x» ¥70,000.00"


def test_table_and_markdown_escape_cells_and_keep_alignment() -> None:
    columns = [Column("name", "name"), Column("open", "open", numeric=True)]
    rows = [{"name": "Evil\x1b[2J", "open": 1}, {"name": "Co\u202egnp", "open": 22}]
    assert table(rows, columns) == ("name           open\n"
                                    "-------------  ----\n"
                                    "Evil␛[2J          1\n"
                                    "Co<U+202E>gnp    22\n")
    assert markdown(rows, columns).splitlines()[2:] == ["| Evil␛[2J | 1 |", "| Co<U+202E>gnp | 22 |"]


def test_json_escapes_them_and_keeps_the_same_strings() -> None:
    value = "x\x1b\x9b\u202e\u2066y"
    text = dump_json({"name": value})
    assert not any(h in text for h in HAZARDS)
    assert json.loads(text) == {"name": value}


def strings(document: object) -> list[str]:
    if isinstance(document, dict):
        return [s for v in document.values() for s in strings(v)]
    if isinstance(document, list):
        return [s for v in document for s in strings(v)]
    return [document] if isinstance(document, str) else []


def test_a_field_edited_by_hand_never_reaches_the_terminal_raw(sample_copy: Path) -> None:
    path = sample_copy / "debtors" / "shenyang-heavy.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\nindustry: " in text
    head, rest = text.split("\nindustry: ", 1)
    path.write_text(head + '\nindustry: "机械\\e[2J\\e]0;owned\\a\\u202e\\x9b"\n' + rest.split("\n", 1)[1],
                    encoding="utf-8")
    runner = CliRunner()
    for fmt in ("table", "md", "json"):
        result = runner.invoke(app, ["age", "--by", "industry", "--as-of", "2026-11-28", "-f", fmt,
                                     "--ledger", str(sample_copy)])
        assert result.exit_code == 0, result.output
        assert not any(h in result.stdout for h in HAZARDS), (fmt, result.stdout)
        if fmt == "json":  # escaped, and read back as the very same text
            assert "机械\x1b[2J\x1b]0;owned\x07\u202e\x9b" in strings(json.loads(result.stdout))
        else:
            assert "机械␛[2J␛]0;owned␇<U+202E><U+009B>" in result.stdout


def test_a_terminal_never_receives_raw_control_characters(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    # fields the model does not check (say an address edited by hand) are escaped on a terminal only;
    # tabs and line breaks stay, and output to a pipe or a file is left as it is
    from dunning.cli.base import emit

    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    emit("a\tb\x1b[2J\u202ec\n", None)
    assert capsys.readouterr().out == "a\tb␛[2J<U+202E>c\n"
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    emit("a\x1b\n", None)
    assert capsys.readouterr().out == "a\x1b\n"
