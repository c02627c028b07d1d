"""Deadlines that lose money: limitation per open invoice, guarantee periods, bankruptcy claims,
promises and instalments, each with its rule and the steps that lead to its date.

Public API (see docs/limitation.md for the rules, docs/internal-api.md for the contract):

* `debtor_deadlines(debtor_id, debtor, settings, as_of) -> list[Deadline]`: every deadline of one
  debtor, sorted by date (undated last).
* `ledger_deadlines(debtors, settings, as_of) -> list[Deadline]`.
* `select_deadlines(deadlines, within, ...)`: the default list of `dunning deadlines`.
* `missed(deadlines)`: what makes `--strict` fail.
* `rule_set(code)`, `known_jurisdictions()`, `UnknownJurisdiction`.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from datetime import date

from dunning.balances import DebtorState
from dunning.balances import debtor_state
from dunning.deadlines.engine import KINDS
from dunning.deadlines.engine import Deadline
from dunning.deadlines.engine import RuleSet
from dunning.deadlines.engine import UnknownJurisdiction
from dunning.deadlines.engine import build_tracks
from dunning.deadlines.engine import jurisdiction_of
from dunning.deadlines.engine import known_jurisdictions
from dunning.deadlines.engine import limitation_deadline
from dunning.deadlines.engine import rule_set
from dunning.deadlines.engine import sort_key
from dunning.deadlines.guarantees import guarantee_deadlines
from dunning.deadlines.other import claims_deadlines
from dunning.deadlines.other import installment_deadlines
from dunning.deadlines.other import promise_deadlines
from dunning.model import Debtor
from dunning.model import Settings

__all__ = [
    "KINDS",
    "Deadline",
    "RuleSet",
    "UnknownJurisdiction",
    "debtor_deadlines",
    "known_jurisdictions",
    "ledger_deadlines",
    "missed",
    "rule_set",
    "select_deadlines",
]


def debtor_deadlines(debtor_id: str, debtor: Debtor, settings: Settings, as_of: date,
                     state: DebtorState | None = None) -> list[Deadline]:
    """Every deadline of one debtor as of `as_of`, sorted by date (undated last).

    Raises `UnknownJurisdiction` when the debtor's (or the ledger's) jurisdiction has no rule set.
    """
    rules = rule_set(jurisdiction_of(debtor, settings))
    if state is None:
        state = debtor_state(debtor, settings, as_of)
    found = [limitation_deadline(track, rules, as_of)
             for track in build_tracks(debtor_id, debtor, settings, state, as_of)]
    if rules.guarantees and debtor.guarantees:
        found.extend(guarantee_deadlines(debtor_id, debtor, settings, state.open_invoices(), as_of))
    found.extend(claims_deadlines(debtor_id, debtor, settings, state, rules, as_of))
    found.extend(promise_deadlines(debtor_id, debtor, settings, state, as_of))
    found.extend(installment_deadlines(debtor_id, debtor, settings, state, as_of))
    found.sort(key=sort_key)
    return found


def ledger_deadlines(debtors: Mapping[str, Debtor], settings: Settings, as_of: date) -> list[Deadline]:
    """Every deadline of every debtor, sorted by date (undated last)."""
    found: list[Deadline] = []
    for debtor_id, debtor in debtors.items():
        found.extend(debtor_deadlines(debtor_id, debtor, settings, as_of))
    found.sort(key=sort_key)
    return found


def _upcoming(deadline: Deadline, within: int) -> bool:
    return (deadline.days_left is not None and 0 <= deadline.days_left <= within
            and deadline.status in ("open", "waived"))


def _missed_and_owed(deadline: Deadline, owing: Mapping[str, bool] | None) -> bool:
    if deadline.status not in ("expired", "released"):
        return False
    if deadline.kind in ("limitation", "guarantee") or owing is None:
        return True  # these entries exist only for open invoices
    return owing.get(deadline.debtor, False)


def select_deadlines(deadlines: Iterable[Deadline], within: int, *, everything: bool = False,
                     kinds: Iterable[str] | None = None, owing: Mapping[str, bool] | None = None) -> list[Deadline]:
    """The list `dunning deadlines` shows.

    By default: what falls due within `within` days (0 <= days_left <= within), plus every one
    already missed on an invoice still open: an expired limitation (entries exist only for open
    invoices), a released guarantor, and an expired claim, promise or instalment of a debtor that
    still owes money (`owing`: debtor id -> has open invoices; without it, every debtor is taken to
    owe). `everything` lists all. `kinds` keeps only those kinds.
    """
    wanted = set(kinds) if kinds is not None else None
    chosen = []
    for deadline in deadlines:
        if wanted is not None and deadline.kind not in wanted:
            continue
        if everything:
            chosen.append(deadline)
            continue
        if _upcoming(deadline, within) or _missed_and_owed(deadline, owing):
            chosen.append(deadline)
    return chosen


def missed(deadlines: Iterable[Deadline]) -> list[Deadline]:
    """What `--strict` fails on: an expired limitation (always on an open invoice) or a released guarantor."""
    return [d for d in deadlines if (d.kind == "limitation" and d.status == "expired")
            or (d.kind == "guarantee" and d.status == "released")]
