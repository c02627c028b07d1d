"""PRC limitation (jurisdiction `CN`): Civil Code Arts. 188-203 and the SPC limitation provisions.

Sources: PRC Civil Code (2020) Arts. 188, 189, 192, 195, 201-203, 692-694; Supreme People's
Court Provisions on Limitation in Civil Cases (法释〔2008〕11号 as amended by 法释〔2020〕17号,
"SPC 2020") Arts. 8 (forms of a demand), 10-11 (filing a suit, a payment order or a bankruptcy
claim interrupts), 14 (part payment, instalment or repayment plans are agreement to perform),
19 (agreement to perform after expiry waives the defence).

* Period: 3 years per invoice from the day after its due date (Arts. 188, 201); the last day is
  the corresponding day (Art. 202): due 2021-12-01 -> 2024-12-01; the month's last day where the
  month lacks it (due 2024-02-29 -> 2027-02-28).
* Interruption (Art. 195): runs anew, a full 3 years, from the interrupting day, computed the same
  way (interrupted 2025-05-12 -> 2028-05-12).
* A legal action interrupts while it runs and the period runs anew when it ends (Art. 195(3)).
* Instalments (Art. 189): under a signed plan the period runs from the last instalment's due date.
* After expiry (Art. 192(2); SPC 2020 Art. 19): a payment, a signed acknowledgment or a signed
  plan waives the defence: shown as `waived`, never silently reopened.
* Long-stop: 20 years from the due date (Art. 188(2)); the Art. 203 roll applies to it like to
  every period of the Code.
* Roll (Art. 203): a last day on a rest day moves to the first working day after it
  (`calendars.ChinaCalendar`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import ClassVar

from dunning.deadlines.calendars import Calendar
from dunning.deadlines.calendars import china
from dunning.deadlines.engine import ACKNOWLEDGMENT
from dunning.deadlines.engine import DEMAND
from dunning.deadlines.engine import PAYMENT
from dunning.deadlines.engine import PLAN
from dunning.deadlines.engine import PROMISE
from dunning.deadlines.engine import RuleSet
from dunning.deadlines.engine import Start
from dunning.deadlines.engine import Track
from dunning.deadlines.engine import register

_AGREEMENT = "the debtor's agreement to perform, which interrupts the period"


class China(RuleSet):
    code = "CN"
    name = "PRC Civil Code"
    rule = "CN Civil Code Art. 188, 195, 203"
    years = 3
    restarts: ClassVar[Mapping[str, str]] = {
        PAYMENT: f"a part payment applied to this invoice is {_AGREEMENT} (Art. 195(2); SPC 2020 Art. 14)",
        ACKNOWLEDGMENT: f"a signed acknowledgment is {_AGREEMENT} (Art. 195(2))",
        PLAN: f"a signed instalment plan is {_AGREEMENT} (Art. 195(2); SPC 2020 Art. 14)",
        PROMISE: f"a provable promise to pay is {_AGREEMENT} (Art. 195(2))",
        DEMAND: "a demand that reached the debtor interrupts the period (Art. 195(1); SPC 2020 Art. 8)",
    }
    revives: ClassVar[Mapping[str, str]] = {
        PAYMENT: "a payment after expiry waives the limitation defence for this invoice (Art. 192(2); "
                 "SPC 2020 Art. 19)",
        ACKNOWLEDGMENT: "a signed acknowledgment after expiry waives the limitation defence (Art. 192(2); "
                        "SPC 2020 Art. 19)",
        PLAN: "a signed plan after expiry waives the limitation defence (Art. 192(2); SPC 2020 Art. 19)",
    }
    revive_cite = "Art. 192"
    revive_advice = "a payment, a signed acknowledgment or a signed plan from the debtor"
    no_revival = ("after expiry only the debtor's payment, signed acknowledgment or signed plan waives the "
                  "defence (Art. 192(2); SPC 2020 Art. 19); this does not")
    legal = "interrupt"
    legal_cite = "Art. 195(3); SPC 2020 Arts. 10-11"
    judgment_note = ("a judgment does not end the proceeding here until it is recorded as `concluded`; "
                     "once it is final, enforcement must be applied for within 2 years of the last day for "
                     "performance it sets (Civil Procedure Law, 申请执行期间), which the tool does not compute")
    long_stop_years = 20
    long_stop_cite = "Art. 188(2)"
    long_stop_rolls = True
    instalments_cite = "Art. 189"
    guarantees = True
    claims_rule = "CN Enterprise Bankruptcy Law Art. 45, 48, 56"

    @property
    def calendar(self) -> Calendar:
        return china()

    def start(self, track: Track) -> Start:
        due = track.due
        end = self.anew(due)
        month_end = " (the month has no such day: its last day, Art. 202)" if end.day != due.day else ""
        return Start(due, end, f"{track.due_line()}: the 3 years (Art. 188) count from {due + timedelta(days=1)} "
                               f"(Art. 201) and end on the corresponding day, {end} (Art. 202){month_end}")


RULES = register(China())
