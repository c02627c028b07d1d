"""Sale of goods under the Uniform Commercial Code (jurisdiction `US-UCC`): UCC 2-725.

* Period: 4 years from the breach (2-725(1), (2)), here the due date; the first day excluded:
  due 2020-03-31 -> 2024-03-31.
* Tolling and revival follow the enacting state's own law (2-725(4)), which this rule set does not
  know: nothing restarts or revives the period here (the earlier, safer date). Where the state's
  rule should apply, give the debtor that state's jurisdiction (e.g. `US-CA`, whose period for a
  written contract is also 4 years).
* An action commenced within the period is in time. No roll.
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

_STATE = ("tolling and revival follow the state's own law (UCC 2-725(4)), which this rule set does not apply: "
          "not counted, the earlier, safer date")


class UniformCommercialCode(RuleSet):
    code = "US-UCC"
    name = "Uniform Commercial Code"
    rule = "UCC 2-725"
    years = 4
    not_counted: ClassVar[Mapping[str, str]] = {PAYMENT: _STATE, ACKNOWLEDGMENT: _STATE, PLAN: _STATE, PROMISE: _STATE,
                   DEMAND: "a demand does not extend the period"}
    no_revival = "a barred claim is not revived under this rule set (UCC 2-725(4): the state's law)"
    legal = "stop"
    legal_cite = "UCC 2-725(1): the action is commenced within the period"

    def start(self, track: Track) -> Start:
        end = self.anew(track.due)
        return Start(track.due, end, f"{track.due_line()}: 4 years from the breach on the due date (UCC "
                                     f"2-725(1), (2)), the first day excluded, end on {end}; no roll")


RULES = register(UniformCommercialCode())
