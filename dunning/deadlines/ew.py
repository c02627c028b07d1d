"""England and Wales (jurisdiction `EW`): Limitation Act 1980.

* Period: 6 years from the date on which the cause of action accrued (s.5). The day of accrual is
  excluded (Marren v Dawson Bentley [1961] 2 QB 135), so the last day is the anniversary: accrual
  2020-03-31 -> 2026-03-31; from 29 February, 28 February (the earlier reading).
* Accrual: the performance date where the ledger gives one, else the due date; where both are
  given the earlier one is used (the safer date; a debt with credit terms accrues when payment
  falls due).
* Restart (s.29(5)): a written acknowledgment signed by the debtor (s.30(1)), here a signed
  acknowledgment or a signed plan, or a part payment: the right is treated as accruing on that
  date. Oral promises and demands do not count.
* No revival (s.29(7)): once barred, no acknowledgment or payment revives the claim.
* A claim form issued within the period brings the action in time.
* No roll: where the last day falls on a day the court office is closed, Pritam Kaur v S Russell &
  Sons Ltd [1973] QB 336 allows the next open day; the tool keeps the earlier date.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from dunning.deadlines.engine import ACKNOWLEDGMENT
from dunning.deadlines.engine import DEMAND
from dunning.deadlines.engine import PAYMENT
from dunning.deadlines.engine import PLAN
from dunning.deadlines.engine import PROMISE
from dunning.deadlines.engine import RuleSet
from dunning.deadlines.engine import Start
from dunning.deadlines.engine import Track
from dunning.deadlines.engine import register

_FRESH = "the right is treated as accruing afresh on its date"


class EnglandWales(RuleSet):
    code = "EW"
    name = "Limitation Act 1980"
    rule = "Limitation Act 1980 s.5, 29, 30"
    years = 6
    restarts: ClassVar[Mapping[str, str]] = {
        PAYMENT: f"a part payment (Limitation Act 1980 s.29(5)(b)): {_FRESH}",
        ACKNOWLEDGMENT: f"a written acknowledgment signed by the debtor (s.29(5)(a), s.30): {_FRESH}",
        PLAN: f"a signed plan is a written, signed acknowledgment (s.29(5)(a), s.30): {_FRESH}",
    }
    not_counted: ClassVar[Mapping[str, str]] = {
        DEMAND: "a demand does not extend time (only a signed written acknowledgment or a part payment, "
                "s.29(5))",
        PROMISE: "a promise counts only as a written acknowledgment signed by the debtor (s.30(1))",
    }
    no_revival = "a right of action once barred is not revived by a later acknowledgment or payment (s.29(7))"
    legal = "stop"
    legal_cite = "Limitation Act 1980 s.5: the action is brought when the claim form is issued"

    def start(self, track: Track) -> Start:
        due = track.due
        if track.performed is not None and track.performed < due:
            accrual = track.performed
            why = (f"{track.due_line()}, performed {track.performed}: the cause of action is taken to accrue "
                   f"on the performance date (the earlier, safer reading)")
        else:
            accrual = due
            why = f"{track.due_line()}: the cause of action accrues on the due date"
        end = self.anew(accrual)
        return Start(accrual, end, f"{why}; 6 years (Limitation Act 1980 s.5), the day of accrual excluded, "
                                   f"end on {end}")


RULES = register(EnglandWales())
