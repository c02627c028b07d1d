"""France (jurisdiction `FR`): Code de commerce L110-4 and the Code civil on prescription.

* Period: 5 years between traders (Code de commerce L110-4) from the day the creditor knew or
  should have known the facts, here the due date (Code civil 2224). Counted in days, the first
  not counted (2228); acquired when the last day is complete (2229): due 2020-03-15 -> 2025-03-15.
* Interruption: the debtor's acknowledgment (2240), here a signed acknowledgment or a signed plan,
  starts a new period of the same length (2231). A part payment can be a tacit acknowledgment in
  the case law, but it is not counted (the earlier, safer date): get a signed acknowledgment.
  A demand (mise en demeure) does not interrupt.
* A suit interrupts until the proceeding ends (2241, 2242); then 5 years run anew (2231).
* Long-stop (2232): interruption cannot carry the period beyond 20 years from the birth of the
  right, except after a suit (2232 al. 2).
* After expiry: only a prescription already acquired can be renounced (2250), expressly or
  tacitly (2251); a signed acknowledgment or plan is taken as such a renunciation (`waived`).
  A payment of a barred debt cannot be reclaimed (2249) but is not taken as a renunciation for
  the rest.
* No roll: the extension of Code de procédure civile 642 concerns procedural time limits.
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


class France(RuleSet):
    code = "FR"
    name = "Code civil"
    rule = "Code de commerce L110-4; Code civil 2224, 2229, 2240"
    years = 5
    restarts: ClassVar[Mapping[str, str]] = {
        ACKNOWLEDGMENT: "the debtor's signed acknowledgment interrupts (Code civil 2240); a new 5-year period "
                        "starts (2231)",
        PLAN: "a signed plan acknowledges the debt (Code civil 2240); a new 5-year period starts (2231)",
    }
    not_counted: ClassVar[Mapping[str, str]] = {
        PAYMENT: "a part payment may be a tacit acknowledgment (Code civil 2240) in the case law, but it is "
                 "not counted: the earlier, safer date (advice: get a signed acknowledgment)",
        DEMAND: "a demand (mise en demeure) does not interrupt prescription (Code civil 2240-2246)",
        PROMISE: "an oral or unsigned promise is not counted as an acknowledgment (the safer reading)",
    }
    revives: ClassVar[Mapping[str, str]] = {
        ACKNOWLEDGMENT: "a signed acknowledgment after expiry renounces the acquired prescription "
                        "(Code civil 2250, 2251)",
        PLAN: "a signed plan after expiry renounces the acquired prescription (Code civil 2250, 2251)",
    }
    revive_cite = "Code civil 2250, 2251"
    revive_advice = "a signed acknowledgment or a signed plan from the debtor"
    no_revival = ("only an unequivocal renunciation waives an acquired prescription (Code civil 2250, 2251); "
                  "a payment of a barred debt cannot be reclaimed (2249) but revives nothing else")
    legal = "interrupt"
    legal_cite = "Code civil 2241, 2242, 2231"
    long_stop_years = 20
    long_stop_cite = "Code civil 2232"

    def start(self, track: Track) -> Start:
        end = self.anew(track.due)
        return Start(track.due, end, f"{track.due_line()}: 5 years (Code de commerce L110-4; Code civil 2224), "
                                     f"the first day not counted (2228), end on {end} (2229); no roll")


RULES = register(France())
