"""German limitation (jurisdiction `DE`): BGB 195, 199, 203, 204, 209, 212, 193.

* Period: 3 years (BGB 195) from the end of the year in which the claim arose, i.e. fell due, and
  the creditor knew of it (199(1)): a claim due in 2025 expires at the end of 31 Dec 2028.
* Restart (212(1) Nr. 1): an acknowledgment by the debtor, by part payment, interest, security or
  otherwise (here: a payment applied to the invoice, a signed acknowledgment, a signed plan, a
  provable promise to pay) starts a new full period the next day (187(1)), ending on the
  corresponding day 3 years later (188(2)); where the month lacks it, its last day (188(3)).
  The year-end rule of 199 does not apply to the new period. An acknowledgment in the year the
  claim fell due thus yields an earlier date than 31 Dec three years on; whether it replaces the
  not-yet-running period is debated: the tool takes the earlier date and says so.
* Negotiations (203) suspend the period until one side refuses to go on, with at least 3 months
  after they end; the ledger cannot prove when negotiations began and ended, so they are not
  counted (the earlier date) and the basis says which contacts may qualify.
* Legal steps (204(1) Nr. 1 suit, Nr. 3 payment order, Nr. 10 claim filed in insolvency) suspend the
  period; the suspension ends 6 months after the final decision or other end of the proceeding
  (204(2)); the suspended time is not counted (209). The days are counted from the filing day (or
  the period's start, when the filing came before it: a suspension before the period began leaves
  nothing out) to the end of the suspension, the filing day itself not added (one day short of the
  widest reading: the safer date).
* After expiry nothing revives the claim (212 needs a running period); what was paid cannot be
  reclaimed (214(2)).
* Roll: 193 (applied to limitation periods by the courts): a last day on a Saturday, Sunday or
  public holiday moves to the next working day. Only nationwide holidays are used; holidays of the
  place of performance's state would move it further (the earlier date is kept).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from datetime import timedelta
from typing import ClassVar

from dunning.deadlines.calendars import Calendar
from dunning.deadlines.calendars import add_months
from dunning.deadlines.calendars import add_years
from dunning.deadlines.calendars import germany
from dunning.deadlines.engine import ACKNOWLEDGMENT
from dunning.deadlines.engine import DEMAND
from dunning.deadlines.engine import PAYMENT
from dunning.deadlines.engine import PLAN
from dunning.deadlines.engine import PROMISE
from dunning.deadlines.engine import RuleSet
from dunning.deadlines.engine import Start
from dunning.deadlines.engine import Track
from dunning.deadlines.engine import register

_RESTART = "a new full period starts the next day (BGB 212(1) Nr. 1, 187(1), 188(2))"


class Germany(RuleSet):
    code = "DE"
    name = "Bürgerliches Gesetzbuch"
    rule = "BGB 195, 199, 212, 193"
    years = 3
    restarts: ClassVar[Mapping[str, str]] = {
        PAYMENT: f"a part payment acknowledges the claim: {_RESTART}",
        ACKNOWLEDGMENT: f"a signed acknowledgment: {_RESTART}",
        PLAN: f"a signed instalment plan acknowledges the claim: {_RESTART}",
        PROMISE: f"a provable promise to pay acknowledges the claim: {_RESTART}",
    }
    not_counted: ClassVar[Mapping[str, str]] = {
        DEMAND: "a reminder (Mahnung) neither restarts nor suspends limitation (only an acknowledgment, "
                "BGB 212, or a legal step, BGB 204)",
    }
    no_revival = ("a barred claim does not restart (BGB 212 needs a running period); what is paid need not be "
                  "returned (BGB 214(2)); a waiver of the defence needs the debtor's express agreement")
    legal = "suspend"
    legal_cite = "BGB 204(1) Nr. 1, 3, 10"
    judgment_note = ("the suspension lasts until 6 months after the proceeding ends (BGB 204(2)); record "
                     "`legal action: concluded` when the decision is final")

    @property
    def calendar(self) -> Calendar:
        return germany()

    def start(self, track: Track) -> Start:
        due = track.due
        end = date(due.year + self.years, 12, 31)
        return Start(due, end, f"{track.due_line()}: the claim arose in {due.year}; the 3 years (BGB 195) begin "
                               f"at the end of that year (BGB 199(1)) and end on {end}")

    def after_proceeding(self, end: date, filed: date, concluded: date) -> tuple[date, str]:
        released = add_months(concluded, 6)
        # BGB 209 leaves out only suspended time inside the period: a claim due this year starts its
        # period on 1 January next, so the part of a suspension before that start does not count.
        start = add_years(end, -self.years) + timedelta(days=1)
        counted_from = max(filed, start)
        suspended = max((released - counted_from).days, 0)
        new_end = end + timedelta(days=suspended)
        if suspended == 0:
            return end, (f"the suspension ended 6 months later, on {released} (BGB 204(2)), before the period began "
                         f"on {start}: nothing to leave out (BGB 209); the period still ends {end}")
        since = f"from the filing on {filed}" if counted_from == filed else \
            f"from the period's start on {start} (the filing on {filed} came before it)"
        return new_end, (f"the suspension ends 6 months later, on {released} (BGB 204(2)); the {suspended} days "
                         f"{since} are not counted (BGB 209): {end} becomes {new_end}")

    def notes(self, track: Track) -> list[str]:
        talks = [d for d in track.talks if d >= track.due]
        if not talks:
            return []
        shown = ", ".join(str(d) for d in talks[:5]) + (" ..." if len(talks) > 5 else "")
        return [f"contacts on {shown} may be negotiations that suspend the period (BGB 203, 209); not counted: "
                f"the ledger cannot prove when negotiations began and ended (the earlier, safer date)"]


RULES = register(Germany())
