"""PRC guarantee periods (保证期间, Civil Code Arts. 692-694) and the guarantee debt's limitation.

* Period: `period_months` (6 where the contract says nothing, Art. 692(2)) from the due date of each
  covered invoice (Art. 692(2)): the corresponding day of the final month, or its last day
  (Arts. 201, 202). It is never suspended, interrupted or extended (Art. 692(1)); the tool does
  not move its last day off a rest day either (the earlier, safer reading).
* A joint guarantor (连带责任保证) is bound only if the creditor demanded payment from it within
  the period (Art. 693(2)): a `guarantor_demand` counts on its `delivered` date; without one, on its
  own day only where it is provable (evidence attached, or sent by email, WeChat, SMS or fax),
  otherwise not at all.
* A general guarantor (一般保证) is bound only if the creditor sued or started arbitration against
  the debtor within the period (Art. 693(1), 694(1)): a `legal` event filed (suit, arbitration or
  unspecified; a payment order is not counted, the safer reading).
* Otherwise the guarantor is released once the period has passed.
* After a timely demand to a joint guarantor, the limitation of the guarantee debt runs from that
  demand (Art. 694(2)): 3 years (Art. 188), interrupted by later demands that reached the
  guarantor (Art. 195(1)), rolled like any CN limitation (Art. 203).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from dunning.balances import InvoiceState
from dunning.deadlines.calendars import add_months
from dunning.deadlines.calendars import add_years
from dunning.deadlines.calendars import china
from dunning.deadlines.engine import Deadline
from dunning.deadlines.engine import days_left
from dunning.model import Debtor
from dunning.model import Event
from dunning.model import Guarantee
from dunning.model import GuarantorDemand
from dunning.model import Legal
from dunning.model import Settings
from dunning.model import event_day

_ELECTRONIC = ("email", "wechat", "sms", "fax")
_KIND = {"joint": "joint guarantee (连带责任保证)", "general": "general guarantee (一般保证)"}


def _demand_day(event: GuarantorDemand, day: date, as_of: date) -> tuple[date | None, str]:
    """The day a demand reached the guarantor, or None with the reason it does not count."""
    if event.delivered is not None:
        if event.delivered > as_of:
            return None, f"demand to the guarantor sent {day} not counted as of {as_of}: delivered {event.delivered}"
        return event.delivered, f"demand to the guarantor delivered {event.delivered}"
    if event.evidence or event.via in _ELECTRONIC:
        proof = "with evidence" if event.evidence else f"by {event.via}"
        return day, f"demand to the guarantor {day} ({proof})"
    return None, (f"demand to the guarantor {day} not counted: no `delivered` date and no evidence, nothing "
                  f"shows it reached the guarantor (advice: record the delivery date from the tracking)")


def _covers(event_invoices: Sequence[str] | None, invoice: str) -> bool:
    return event_invoices is None or invoice in event_invoices


def guarantee_deadlines(debtor_id: str, debtor: Debtor, settings: Settings, open_invoices: list[InvoiceState],
                        as_of: date) -> list[Deadline]:
    """Per guarantee and covered open invoice: the guarantee period, and for a timely demand to a
    joint guarantor the limitation of the guarantee debt."""
    zone = settings.zone
    found: list[Deadline] = []
    events = [(event_day(e.at, zone), e) for e in debtor.events]
    events = [(d, e) for d, e in events if d <= as_of]
    for guarantee in debtor.guarantees:
        for state in open_invoices:
            if guarantee.invoices is not None and state.id not in guarantee.invoices:
                continue
            found.extend(_one(debtor_id, guarantee, state, events, as_of))
    return found


def _one(debtor_id: str, guarantee: Guarantee, state: InvoiceState,
         events: list[tuple[date, Event]], as_of: date) -> list[Deadline]:
    due = state.due
    end = add_months(due, guarantee.period_months)
    default = " (the default, Art. 692(2))" if guarantee.period_months == 6 else ""
    lines = [f"{_KIND[guarantee.kind]} by {guarantee.guarantor}: {guarantee.period_months} months{default} from "
             f"the due date {due} (Art. 692(2)): ends {end}; never suspended, interrupted or extended, and not "
             f"moved off a rest day (Art. 692(1); the earlier, safer reading)"]
    met: date | None = None
    extra: list[Deadline] = []
    if guarantee.kind == "joint":
        demands: list[tuple[date, str]] = []
        for day, event in events:
            if not isinstance(event, GuarantorDemand) or event.guarantor != guarantee.guarantor:
                continue
            if not _covers(event.invoices, state.id):
                lines.append(f"demand to the guarantor {day} concerns {', '.join(event.invoices or [])} only: "
                             f"no effect for this invoice")
                continue
            reached, text = _demand_day(event, day, as_of)
            if reached is None:
                lines.append(text)
            elif reached < due:
                lines.append(f"{text}: before the guarantee period began on {due}: not counted")
            elif met is None and reached > end:
                lines.append(f"{text}: after the period ended on {end}: too late (Art. 693(2))")
            elif met is None:
                met = reached
                lines.append(f"{text}: within the period: the guarantor stays liable (Art. 693(2))")
                demands.append((reached, text))
            else:
                demands.append((reached, text))
        if met is not None:
            extra.append(_guarantee_limitation(debtor_id, guarantee, state, demands, as_of))
    else:
        for day, event in events:
            if not isinstance(event, Legal) or event.action != "filed":
                continue
            if not _covers(event.invoices, state.id):
                continue
            label = f"{(event.kind or 'legal action').replace('_', ' ')} filed {day} against the debtor"
            if event.kind == "payment_order":
                lines.append(f"{label}: a payment order is not a suit or arbitration (Art. 694(1)): not counted "
                             f"(the safer reading)")
            elif day < due:
                lines.append(f"{label}: before the guarantee period began: not counted")
            elif day > end:
                if met is None:
                    lines.append(f"{label}: after the period ended on {end}: too late (Art. 693(1))")
            elif met is None:
                met = day
                lines.append(f"{label}: within the period: the guarantor stays liable (Art. 693(1), 694(1)); "
                             f"its limitation runs once its defence of prior enforcement ends (Art. 687(2), "
                             f"694(1)), not computed here")
    if met is not None:
        status = "met"
    elif end < as_of:
        status = "released"
        action = "demand" if guarantee.kind == "joint" else "suit or arbitration against the debtor"
        lines.append(f"released: no {action} within the period (Art. 693)")
    else:
        status = "open"
        action = ("deliver a written demand to the guarantor" if guarantee.kind == "joint"
                  else "sue or start arbitration against the debtor")
        lines.append(f"advice: {action} by {end}")
    rule = "CN Civil Code Art. 692, 693" + (", 694" if met is not None else "")
    deadline = Deadline(debtor_id, "guarantee", state.id, end, days_left(end, as_of), status, False, rule,
                        tuple(lines), guarantor=guarantee.guarantor, amount=state.open, currency=state.currency)
    return [deadline, *extra]


def _guarantee_limitation(debtor_id: str, guarantee: Guarantee, state: InvoiceState,
                          demands: list[tuple[date, str]], as_of: date) -> Deadline:
    first, _ = demands[0]
    end = add_years(first, 3)
    lines = [f"demand to the guarantor {guarantee.guarantor} reached it on {first}, within the guarantee period: "
             f"the limitation of the guarantee debt runs from it (Art. 694(2)): 3 years (Art. 188), "
             f"ending {end}"]
    for reached, text in demands[1:]:
        if reached > china().roll(end).day:
            lines.append(f"{text}: after the period expired: no effect")
            continue
        end = add_years(reached, 3)
        lines.append(f"{text}: a demand that reached the guarantor interrupts (Art. 195(1)): runs anew, "
                     f"ending {end}")
    rolled = china().roll(end)
    lines.extend(rolled.notes)
    status = "expired" if rolled.day < as_of else "open"
    return Deadline(debtor_id, "limitation", state.id, rolled.day, days_left(rolled.day, as_of), status,
                    rolled.provisional, "CN Civil Code Art. 694(2), 188, 195, 203", tuple(lines),
                    guarantor=guarantee.guarantor, amount=state.open, currency=state.currency)
