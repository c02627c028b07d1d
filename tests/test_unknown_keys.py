"""An unknown key: the did-you-mean hint names a key valid where it stands, never the key itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from dunning.ledger import LedgerErrors
from dunning.ledger import load_settings
from dunning.ledger import parse_debtor


def refusal(text: str) -> list[str]:
    with pytest.raises(LedgerErrors) as refused:
        parse_debtor(text, "debtors/x.yaml")
    return [f"{e.line}: {e.message}" for e in refused.value.errors]


@pytest.mark.parametrize(("text", "message"), [
    # a key of another place (contacts) is not suggested as itself
    ("name: x\nnote: hi\n", "2: note: unknown key 'note'"),
    ("name: x\nemail: a@example.cn\n", "2: email: unknown key 'email'"),
    # a payment has no outcome: no other event's key is offered instead
    ("name: x\nevents:\n  - {at: 2026-01-01, type: payment, amount: 1, outcome: reached}\n",
     "3: events[0].outcome: unknown key 'outcome'"),
    # typos get the key of the place they are in
    ("name: x\ncontacts:\n  - {name: 王, notes: b}\n",
     "3: contacts[0].notes: unknown key 'notes' (did you mean 'note'?)"),
    ("name: x\ncontacts:\n  - {name: 王, nmae: b}\n", "3: contacts[0].nmae: unknown key 'nmae' (did you mean 'name'?)"),
    ("name: x\nevents:\n  - {at: 2026-01-01, type: call, sumary: s}\n",
     "3: events[0].sumary: unknown key 'sumary' (did you mean 'summary'?)"),
    ("name: x\nevents:\n  - {at: 2026-01-01, type: call, promise: {date: 2026-02-01, amount: 1, amont: 2}}\n",
     "3: events[0].promise.amont: unknown key 'amont' (did you mean 'amount'?)"),
    ("name: x\nevents:\n  - {at: 2026-01-01, type: note, evidence: [{path: a, sha: b}]}\n",
     "3: events[0].evidence[0].sha: unknown key 'sha' (did you mean 'sha256'?)"),
    ("name: x\nterms_days: 30\ninvoices:\n  - {id: I, issued: 2026-01-01, amount: 1, descripton: d}\n",
     "4: invoices[0].descripton: unknown key 'descripton' (did you mean 'description'?)"),
    ("name: x\nguarantees:\n  - {guarantor: G, kind: joint, perod_months: 6}\n",
     "3: guarantees[0].perod_months: unknown key 'perod_months' (did you mean 'period_months'?)"),
    # a control character in a key is shown escaped
    ('name: x\n"nam\\e": y\n', "2: nam␛: unknown key 'nam\\x1b' (did you mean 'name'?)"),
])
def test_did_you_mean_names_a_key_of_that_place(text: str, message: str) -> None:
    assert refusal(text) == [message]


def test_did_you_mean_in_the_settings(tmp_path: Path) -> None:
    settings = "format: 1\ncreditor: {name: 示例, bank: {name: 工行, account: '1', swfit: X}}\n"
    (tmp_path / "dunning.yaml").write_text(settings + "agenda: {max_contacts_per_dya: 2}\n", encoding="utf-8")
    with pytest.raises(LedgerErrors) as refused:
        load_settings(tmp_path)
    assert [e.message for e in refused.value.errors] == [
        "creditor.bank.swfit: unknown key 'swfit' (did you mean 'swift'?)",
        "agenda.max_contacts_per_dya: unknown key 'max_contacts_per_dya' (did you mean 'max_contacts_per_day'?)"]
