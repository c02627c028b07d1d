"""California (jurisdiction `US-CA`): Code of Civil Procedure 337 and 360.

* Period: 4 years on a written contract (CCP 337(a)) from the breach, here the due date; the
  first day excluded (CCP 12): due 2020-03-31 -> 2024-03-31.
* Restart and revival: an acknowledgment or promise in a writing signed by the debtor (CCP 360),
  here a signed acknowledgment or a signed plan, starts a new period, and revives a barred claim.
  A payment alone does not extend or revive it (CCP 360, last sentence, for promissory notes, and
  the case law on open accounts): not counted.
* An action commenced within the period is in time (CCP 350).
* No roll: CCP 12a may allow the next court day when the last day is a holiday or weekend; the
  tool keeps the earlier date.
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

_SIGNED = "an acknowledgment in a writing signed by the debtor (CCP 360)"


class California(RuleSet):
    code = "US-CA"
    name = "California Code of Civil Procedure"
    rule = "CA CCP 337, 360"
    years = 4
    restarts: ClassVar[Mapping[str, str]] = {
        ACKNOWLEDGMENT: f"{_SIGNED} starts a new period",
        PLAN: f"a signed plan is {_SIGNED}: a new period starts",
    }
    not_counted: ClassVar[Mapping[str, str]] = {
        PAYMENT: "a payment alone does not extend or revive the period (CCP 360)",
        DEMAND: "a demand does not extend the period",
        PROMISE: "a promise counts only in a writing signed by the debtor (CCP 360)",
    }
    revives: ClassVar[Mapping[str, str]] = {
        ACKNOWLEDGMENT: f"{_SIGNED} after expiry revives the claim",
        PLAN: f"a signed plan after expiry is {_SIGNED} and revives the claim",
    }
    revive_cite = "CCP 360"
    revive_advice = "a signed written acknowledgment from the debtor"
    no_revival = "only a writing signed by the debtor revives a barred claim; a payment does not (CCP 360)"
    legal = "stop"
    legal_cite = "CCP 350: the action is commenced by filing the complaint"

    def start(self, track: Track) -> Start:
        end = self.anew(track.due)
        return Start(track.due, end, f"{track.due_line()}: 4 years on a written contract (CCP 337(a)) from the "
                                     f"breach on the due date, the first day excluded (CCP 12), end on {end}; "
                                     f"no roll")


RULES = register(California())
