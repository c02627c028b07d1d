"""New York (jurisdiction `US-NY`): CPLR 213(2) and General Obligations Law 17-101.

* Period: 6 years on a contract (CPLR 213(2)) from the breach, here the due date (CPLR 203(a));
  the first day excluded (General Construction Law §20): due 2020-03-31 -> 2026-03-31.
  For a sale of goods the 4 years of UCC 2-725 apply instead: use `US-UCC`.
* Restart: an acknowledgment or promise in a writing signed by the debtor (GOL 17-101), here a
  signed acknowledgment or a signed plan, starts the period anew; it also revives a barred claim.
  A part payment restarts only where it amounts to an unqualified acknowledgment of the whole
  debt (case law): not counted, the safer date.
* An action commenced within the period is in time.
* No roll: General Construction Law §25-a may allow the next business day when the last day is a
  Saturday, Sunday or public holiday; the tool keeps the earlier date.
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

_SIGNED = "a writing signed by the debtor acknowledging the debt (GOL 17-101)"


class NewYork(RuleSet):
    code = "US-NY"
    name = "New York CPLR"
    rule = "NY CPLR 213(2); GOL 17-101"
    years = 6
    restarts: ClassVar[Mapping[str, str]] = {
        ACKNOWLEDGMENT: f"{_SIGNED} starts the period anew",
        PLAN: f"a signed plan is {_SIGNED}: the period starts anew",
    }
    not_counted: ClassVar[Mapping[str, str]] = {
        PAYMENT: "a part payment restarts the period only where it amounts to an unqualified acknowledgment of "
                 "the whole debt: not counted, the safer date (advice: get a signed acknowledgment)",
        DEMAND: "a demand does not extend the period",
        PROMISE: "a promise counts only in a writing signed by the debtor (GOL 17-101)",
    }
    revives: ClassVar[Mapping[str, str]] = {
        ACKNOWLEDGMENT: f"{_SIGNED} after expiry revives the claim",
        PLAN: f"a signed plan after expiry is {_SIGNED} and revives the claim",
    }
    revive_cite = "GOL 17-101"
    revive_advice = "a signed written acknowledgment from the debtor"
    no_revival = "only a writing signed by the debtor revives a barred claim (GOL 17-101)"
    legal = "stop"
    legal_cite = "CPLR 203, 304: the action is commenced by filing"

    def start(self, track: Track) -> Start:
        end = self.anew(track.due)
        return Start(track.due, end, f"{track.due_line()}: 6 years on the contract (CPLR 213(2)) from the breach "
                                     f"on the due date, the first day excluded (General Construction Law §20), "
                                     f"end on {end}; no roll")


RULES = register(NewYork())
