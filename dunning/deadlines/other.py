"""The deadlines that are not limitation: the bankruptcy claim, promises and instalments.

* Claims: a `status: bankrupt` event with `claims_deadline` makes that day the last day to file
  the claim with the administrator (CN Enterprise Bankruptcy Law Arts. 45, 48). It is `met` once a
  later event shows the claim filed: a status event with `claim_filed`, or a `legal` event filed
  on or after the bankruptcy. A claim filed late is still `met`, and the basis says it is a
  supplementary claim (Art. 56: it loses the distributions already made and bears the cost).
* Promises: each promise made in a contact: pending -> `open`, kept -> `met`, broken -> `expired`
  (`dunning.balances.promise_states`).
* Instalments: each instalment of the current plan (the latest one; an earlier plan is superseded):
  paid or paid late -> `met`, missed -> `expired`, pending -> `open`
  (`dunning.balances.plan_states`).
"""

from __future__ import annotations

from datetime import date

from dunning.balances import DebtorState
from dunning.balances import plan_states
from dunning.balances import promise_states
from dunning.deadlines.calendars import day_text
from dunning.deadlines.engine import Deadline
from dunning.deadlines.engine import RuleSet
from dunning.deadlines.engine import days_left
from dunning.deadlines.engine import money_shown
from dunning.model import ContactEvent
from dunning.model import Debtor
from dunning.model import Legal
from dunning.model import Plan
from dunning.model import Settings
from dunning.model import Status
from dunning.model import event_day
from dunning.render import money_display


def claims_deadlines(debtor_id: str, debtor: Debtor, settings: Settings, state: DebtorState, rules: RuleSet,
                     as_of: date) -> list[Deadline]:
    """The claim filing deadline of the debtor's bankruptcy (the latest one that set a deadline)."""
    # Most debtors never went bankrupt: no event's day needs converting to learn that.
    if not any(isinstance(event, Status) and event.status == "bankrupt" and event.claims_deadline is not None
               for event in debtor.events):
        return []
    zone = settings.zone
    bankrupt: tuple[date, Status] | None = None
    for event in debtor.events:
        day = event_day(event.at, zone)
        if day > as_of:
            break
        if isinstance(event, Status) and event.status == "bankrupt" and event.claims_deadline is not None:
            bankrupt = (day, event)
    if bankrupt is None:
        return []
    since, status_event = bankrupt
    deadline = status_event.claims_deadline
    assert deadline is not None
    who = f", administrator {status_event.administrator}" if status_event.administrator else ""
    lines = [f"status bankrupt {since}{who}: the claim must be filed by {deadline} ({rules.claims_rule})"]
    filed: date | None = None
    for event in debtor.events:
        day = event_day(event.at, zone)
        if day > as_of or day < since:
            continue
        if isinstance(event, Status) and event.claim_filed is not None and event.claim_filed <= as_of:
            filed = event.claim_filed
            lines.append(f"claim filed {filed} (status event {day})")
            break
        if isinstance(event, Legal) and event.action == "filed":
            filed = day
            where = f" ({event.court})" if event.court else ""
            lines.append(f"legal action filed {day}{where}, after the bankruptcy: taken as the claim filed")
            break
    if filed is not None:
        status = "met"
        if filed > deadline:
            lines.append("filed after the deadline: a supplementary claim, which loses the distributions "
                         "already made and bears the cost of its review (Enterprise Bankruptcy Law Art. 56)")
    elif deadline < as_of:
        status = "expired"
        lines.append(f"no claim filed by {deadline}: file a supplementary claim before the final distribution "
                     f"at once (Enterprise Bankruptcy Law Art. 56)")
    else:
        status = "open"
        lines.append(f"advice: file the claim with the administrator by {deadline}")
    totals = state.open_by_currency()
    currency, amount = next(iter(totals.items())) if len(totals) == 1 else (None, None)
    return [Deadline(debtor_id, "claims", None, deadline, days_left(deadline, as_of), status, False,
                     rules.claims_rule, tuple(lines), amount=amount,
                     currency=currency)]


def _single(invoices: list[str] | None) -> str | None:
    return invoices[0] if invoices is not None and len(invoices) == 1 else None


_PROMISE_STATUS = {"pending": "open", "kept": "met", "broken": "expired"}


def promise_deadlines(debtor_id: str, debtor: Debtor, settings: Settings, state: DebtorState,
                      as_of: date) -> list[Deadline]:
    found = []
    events = debtor.events
    for promise in promise_states(debtor, settings, as_of, state):
        event = events[promise.event_index]
        assert isinstance(event, ContactEvent)
        who = f" with {promise.with_}" if promise.with_ else ""
        amount = money_shown(promise.amount, promise.currency)
        due = day_text(promise.due)
        lines = [f"promise made in a {event.type}{who} on {day_text(promise.made)}: pay {amount} by {due}",
                 f"paid since: {money_shown(promise.paid, promise.currency)}"
                 + (f", the full amount reached on {day_text(promise.kept_on)}" if promise.kept_on else "")]
        if promise.status == "broken":
            lines.append(f"broken: {money_shown(promise.amount - promise.paid, promise.currency)} short "
                         f"by {due}")
        invoices = event.invoices
        scope = f" for {', '.join(invoices)}" if invoices else ""
        found.append(Deadline(debtor_id, "promise", _single(invoices), promise.due,
                              days_left(promise.due, as_of), _PROMISE_STATUS[promise.status], False,
                              f"promise of {day_text(promise.made)}{scope}", tuple(lines), amount=promise.amount,
                              currency=promise.currency))
    return found


_INSTALLMENT_STATUS = {"pending": "open", "paid": "met", "late": "met", "missed": "expired"}


def installment_deadlines(debtor_id: str, debtor: Debtor, settings: Settings, state: DebtorState,
                          as_of: date) -> list[Deadline]:
    plans = [p for p in plan_states(debtor, settings, as_of, state) if not p.superseded]
    found = []
    for plan in plans:
        event = debtor.events[plan.event_index]
        assert isinstance(event, Plan)
        signed = "signed" if plan.signed else "not signed by the debtor"
        count = len(plan.installments)
        for row in plan.installments:
            amount = money_display(row.amount, plan.currency)
            lines = [f"instalment plan of {plan.day} ({signed}), instalment {row.number} of {count}: "
                     f"{amount} due {row.due}"]
            if row.status == "paid":
                lines.append(f"paid on {row.paid_on}")
            elif row.status == "late":
                lines.append(f"paid late, on {row.paid_on}")
            elif row.status == "missed":
                lines.append(f"missed: {money_display(row.amount - row.paid, plan.currency)} unpaid after {row.due}")
            found.append(Deadline(debtor_id, "installment", _single(event.invoices), row.due,
                                  days_left(row.due, as_of), _INSTALLMENT_STATUS[row.status], False,
                                  f"instalment plan of {plan.day}", tuple(lines), amount=row.amount,
                                  currency=plan.currency))
    return found
