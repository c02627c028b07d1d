"""The collector's day: who to call, write to or file for first, and why (pure).

Each debtor's causes, most urgent class first:

0. a deadline about to be lost within `warn_days`: limitation (a demand must reach the debtor:
   `letter`), a guarantee period (a joint guarantor must be demanded from: `demand_guarantor`; a
   general guarantee needs a suit: `legal`), the guarantee debt's own limitation
   (`demand_guarantor`), the bankruptcy claim (`file_claim`, also once its deadline has passed
   unfiled, and for a bankrupt debtor with no claims deadline recorded: check it);
1. a promise broken, an instalment missed, not followed by a contact that reached the debtor;
2. a promise or an instalment due today;
3. a follow-up set by a contact's `next_date` that has come (the latest contact's only: a later
   contact supersedes it), its action read from `next_action` (a letter, a visit, the claim, else a call);
4. a debtor not reached for `agenda.no_contact_days` of its bucket ({C: 7, B: 14, A: 30}), counted
   from the last contact that reached it or from the day its oldest overdue invoice fell due,
   whichever is later; not while a promise is pending, an instalment plan is being kept or a suit runs.

Within a class: the earliest date (or the longest silence) first, then the larger open amount.
A debtor appears once: its most urgent cause gives the action and kind, the others follow in the
reason. Expired limitations and released guarantors are told, never the cause of an item.

What is never suggested: a call, visit or dunning letter to a debtor on `hold` (only its
deadlines are listed), `bankrupt` (file the claim instead, or follow the proceeding once it is
filed), `deregistered` (claim against the shareholders: `legal`), `closed` (`review`), written off
(left out), with a suit running (through counsel: `legal`) or in dispute (resolve it first:
`review`); nor a call or visit beyond `agenda.max_contacts_per_day` (or `max_contacts_per_week`)
contacts already made, letters not counted (`review`). Letters that protect a deadline are still
suggested in a dispute, on hold or past the cap.

Calls get slots of `agenda.call_minutes` in the `call_window`, per collector, in rank order (none
left: no time); letters, claims and guarantor demands come after the window (its end time).
The call window is read in the debtor's local time (its `timezone`, else the ledger's) and the slot
is given in the ledger's time (`at`), its local time beside it (`local_at`): the Leipzig debtor of a
Shanghai ledger is called 09:00-11:00 in Leipzig, 16:00-18:00 (winter) or 15:00-17:00 (summer) in
Shanghai. The window used is the one that starts on the ledger's day, so `at` is always a time of
that day: for a debtor far ahead (Auckland seen from Berlin) whose window of the same date is over
before the ledger's day begins, that is the next local morning, later in the ledger's day; for one
far behind (Los Angeles seen from Shanghai), its previous local day. A collector makes one call at
a time: a slot never overlaps one already given to the same collector, whatever the windows; slots
are handed out in rank order, each call taking the earliest free one of its window, so the ranks
stay the priority order and only the times follow the windows. The daily and weekly caps count the
contacts of the debtor's local day of the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dunning.aging import buckets_of
from dunning.aging import debtor_rows
from dunning.aging import ordered_contacts
from dunning.balances import ZERO
from dunning.balances import DebtorState
from dunning.balances import debtor_state
from dunning.balances import plan_states
from dunning.balances import promise_states
from dunning.deadlines import Deadline
from dunning.deadlines import debtor_deadlines
from dunning.model import Contact
from dunning.model import ContactEvent
from dunning.model import Debtor
from dunning.model import Legal
from dunning.model import Settings
from dunning.model import Status
from dunning.model import debtor_zone
from dunning.model import event_day
from dunning.model import hours_range
from dunning.model import local_day
from dunning.render import money_display

ACTIONS: tuple[str, ...] = ("call", "letter", "visit", "file_claim", "demand_guarantor", "legal", "review")
KINDS: tuple[str, ...] = ("limitation", "guarantee", "claims", "promise_broken", "installment_missed",
                          "promise_due", "installment_due", "follow_up", "no_contact")
BLOCKS: tuple[str, ...] = ("bankrupt", "deregistered", "closed", "hold", "legal", "dispute", "cap")

# Outcomes of a contact that did not reach the debtor: they neither answer a broken promise nor
# count as contact for the no-contact rule.
NOT_REACHED = frozenset({"no_answer", "wrong_contact", "left_message"})
# Contacts that count toward the daily and weekly caps: a letter is not an intrusion.
CAPPED_TYPES = frozenset({"call", "visit", "wechat", "sms", "email"})
_CONTACT_ACTIONS = frozenset({"call", "visit", "letter"})
_AFTER_WINDOW = frozenset({"letter", "file_claim", "demand_guarantor"})
_NO_DAYS = 10**6
# The letter templates (dunning.letters) that go with the actions that are letters of a kind.
_TEMPLATE_OF = {"demand_guarantor": "guarantor", "file_claim": "claim"}

# What a follow-up's `next_action` asks for: the earliest word found decides.
_ACTION_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("letter", ("催款函", "律师函", "通知函", "寄送", "邮寄", "发函", "寄出", "letter", "by post")),
    ("visit", ("上门", "拜访", "面谈", "visit", "meet ")),
    ("file_claim", ("申报", "file the claim", "proof of claim")),
    ("call", ("致电", "电话", "回电", "call", "phone")),
)

_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "sep": "；",
        "limitation": "诉讼时效 {date} 届满（还剩 {ndays}）：{invoice} 未付 {amount}，届满前须送达催款函或取得书面确认",
        "guarantee_debt": "对保证人{guarantor}的保证债务诉讼时效 {date} 届满（还剩 {ndays}）："
                          "届满前再次向保证人书面主张",
        "guarantee_joint": "保证期间 {date} 届满（还剩 {ndays}），尚未向保证人{guarantor}主张：届满前须送达书面索款通知"
                           "（{invoice} {amount}）",
        "guarantee_general": "一般保证期间 {date} 届满（还剩 {ndays}）：届满前须对债务人起诉或申请仲裁，否则保证人"
                             "{guarantor}免责（{invoice} {amount}）",
        "claims_open": "破产债权申报期限 {date}（还剩 {ndays}），尚未申报：向管理人{administrator}申报债权 {amount}",
        "claims_expired": "破产债权申报期限 {date} 已过，尚未申报：立即补充申报（《企业破产法》第56条）",
        "claims_unknown": "债务人已于 {date} 破产，未记录债权申报期限：向管理人核实期限并申报债权",
        "promise_broken": "承诺 {date} 付款 {amount} 未兑现",
        "promise_paid": "（已付 {paid}）",
        "promise_due": "承诺今日（{date}）付款 {amount}，尚差 {short}：核实是否到账",
        "installment_due": "还款计划第 {number} 期 {amount} 今日（{date}）到期",
        "installment_missed": "还款计划第 {number} 期 {amount} 应于 {date} 支付，未付 {short}",
        "installments_more": "（共 {count} 期未付）",
        "follow_up_today": "约定今日跟进：{what}",
        "follow_up_late": "约定 {date} 跟进（已过 {ndays}）：{what}",
        "follow_up_plain": "跟进 {day} 的{type}",
        "no_contact": "{bucket} 类（逾期 {overdue} 天，未付 {amount}），已 {ndays}未联系上（上次 {last}）",
        "no_contact_never": "{bucket} 类（逾期 {overdue} 天，未付 {amount}），逾期 {ndays}以来未联系上",
        "limitation_expired": "{invoice} 诉讼时效已于 {date} 届满：对方付款、签署债务确认书或还款计划即放弃时效抗辩",
        "guarantee_released": "保证人{guarantor}已于 {date} 免责（保证期间内未主张）",
        "bankrupt_claim": "已破产，不再向债务人催收：向管理人申报债权",
        "bankrupt_filed": "已破产，债权已申报：跟进破产程序",
        "deregistered": "公司已注销，不再致电：考虑向股东或清算义务人主张",
        "closed": "公司已停业，不再致电：核实财产线索",
        "hold": "暂停催收（hold）：发函前与主管确认",
        "legal": "诉讼/仲裁进行中{case}：通过律师跟进，不直接催收",
        "dispute": "存在争议（{invoices}）：先解决争议，暂不催款",
        "cap_day": "今日已联系 {count} 次（上限 {cap}）：今日不再联系",
        "cap_week": "近 7 天已联系 {count} 次（上限 {cap}）：今日不再联系",
        "guarantor": "保证人",
        "contact_types": "call=电话,visit=拜访,wechat=微信,sms=短信,email=邮件,letter=函件",
    },
    "en": {
        "sep": "; ",
        "limitation": "limitation of {invoice} ({amount} open) ends {date}, {ndays} left: a demand must reach "
                      "the debtor, or a written acknowledgment be signed, before then",
        "guarantee_debt": "limitation against guarantor {guarantor} ends {date}, {ndays} left: demand payment "
                          "from the guarantor in writing again before then",
        "guarantee_joint": "guarantee period of {guarantor} ends {date}, {ndays} left, no demand made: a written "
                           "demand must reach the guarantor before then ({invoice}, {amount})",
        "guarantee_general": "general guarantee of {guarantor} ends {date}, {ndays} left: sue the debtor or start "
                             "arbitration before then, or the guarantor is released ({invoice}, {amount})",
        "claims_open": "bankruptcy claims deadline {date}, {ndays} left, no claim filed: file {amount} with the "
                       "administrator{administrator}",
        "claims_expired": "bankruptcy claims deadline {date} has passed with no claim filed: file a supplementary "
                          "claim at once (Enterprise Bankruptcy Law Art. 56)",
        "claims_unknown": "bankrupt since {date}, no claims deadline recorded: ask the administrator for it and file "
                          "the claim",
        "promise_broken": "promise to pay {amount} by {date} broken",
        "promise_paid": " ({paid} paid)",
        "promise_due": "promised {amount} by today ({date}), {short} still to come: check the payment",
        "installment_due": "instalment {number} of {amount} falls due today ({date})",
        "installment_missed": "instalment {number} of {amount} due {date} missed ({short} unpaid)",
        "installments_more": " ({count} instalments missed)",
        "follow_up_today": "follow-up set for today: {what}",
        "follow_up_late": "follow-up set for {date} ({ndays} ago): {what}",
        "follow_up_plain": "follow up the {type} of {day}",
        "no_contact": "bucket {bucket} ({overdue} days overdue, {amount} open), not reached for {ndays} "
                      "(last {last})",
        "no_contact_never": "bucket {bucket} ({overdue} days overdue, {amount} open), not reached in the {ndays} "
                            "since it fell due",
        "limitation_expired": "limitation of {invoice} expired {date}: a payment, a signed acknowledgment or plan "
                              "would waive the defence",
        "guarantee_released": "guarantor {guarantor} released on {date} (no demand within the period)",
        "bankrupt_claim": "bankrupt, do not dun the debtor: file the claim with the administrator",
        "bankrupt_filed": "bankrupt, claim filed: follow the proceeding",
        "deregistered": "deregistered, no calls: consider a claim against the shareholders or liquidators",
        "closed": "closed, no calls: look for assets",
        "hold": "collection on hold: agree with your manager before writing",
        "legal": "a suit or arbitration is running{case}: through counsel, no direct dunning",
        "dispute": "in dispute ({invoices}): resolve the dispute first, no dunning",
        "cap_day": "{count} contacts today (cap {cap}): no more today",
        "cap_week": "{count} contacts in 7 days (cap {cap}): no more today",
        "guarantor": "guarantor",
        "contact_types": "call=call,visit=visit,wechat=WeChat message,sms=SMS,email=email,letter=letter",
    },
}


def _say(lang: str, key: str, **values: Any) -> str:
    days = values.get("days")
    if isinstance(days, int):
        values["ndays"] = f"{days} 天" if lang == "zh" else f"{days} day" if abs(days) == 1 else f"{days} days"
    return _TEXT[lang][key].format(**values)


# ---------------------------------------------------------------------------------------------
# data


@dataclass(frozen=True)
class Cause:
    """One reason to act on a debtor today."""

    kind: str
    action: str
    reason: str
    date: date | None  # the deadline, promise, instalment or follow-up day; the last contact for no_contact
    order: tuple[int, int]  # (class, rank within the class): smaller is more urgent
    person: str | None = None  # whom to speak to, by name, where the cause says
    guarantor: str | None = None  # for demand_guarantor and a general guarantee's suit
    deadline: bool = False  # protects a deadline: still suggested in a dispute, on hold or past the cap

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "action": self.action, "date": self.date, "reason": self.reason}


@dataclass
class AgendaItem:
    """One debtor on the day's list: what to do, when, with whom, and why."""

    rank: int
    debtor: str
    name: str
    collector: str | None
    action: str
    at: str | None  # HH:MM: a call's slot in the call window; letters and filings after it; else None
    kind: str
    reason: str
    contact: dict[str, str | None] | None
    causes: list[Cause]
    blocked: str | None  # why a call was not suggested: bankrupt, hold, dispute, cap, ...
    bucket: str
    days_overdue: int | None
    open: dict[str, Decimal]
    template: str | None = None  # the next letter of the escalation ladder, for a letter
    order: tuple[Any, ...] = field(default=(), repr=False)
    local_at: str | None = None  # a call's slot in the debtor's local time, HH:MM
    local_date: date | None = None  # the debtor's date of that slot (another day only far abroad)
    timezone: str | None = None  # the debtor's time zone: its own `timezone`, else the ledger's
    local_note: str | None = field(default=None, repr=False)  # "09:00 Europe/Berlin" where it reads differently

    @property
    def shown_at(self) -> str | None:
        """`at` for people: `16:00 (09:00 Europe/Berlin)` where the debtor's local time reads differently."""
        if self.at is None or self.local_note is None:
            return self.at
        return f"{self.at} ({self.local_note})"

    def as_json(self) -> dict[str, Any]:
        """An `items[]` entry of cli.md (`rank, debtor, action, at, kind, reason, contact` and more)."""
        return {"rank": self.rank, "debtor": self.debtor, "action": self.action, "at": self.at,
                "kind": self.kind, "reason": self.reason, "contact": self.contact, "name": self.name,
                "collector": self.collector, "blocked": self.blocked, "template": self.template,
                "local_at": self.local_at, "local_date": self.local_date, "timezone": self.timezone,
                "bucket": self.bucket, "days_overdue": self.days_overdue, "open": self.open,
                "causes": [c.as_json() for c in self.causes]}


@dataclass
class Agenda:
    date: date
    collector: str | None
    call_window: str
    items: list[AgendaItem]

    def as_json(self) -> dict[str, Any]:
        """The `dunning agenda --format json` document of cli.md."""
        return {"date": self.date, "collector": self.collector, "call_window": self.call_window,
                "items": [item.as_json() for item in self.items]}


# ---------------------------------------------------------------------------------------------
# one debtor


@dataclass
class _Contacts:
    """What the debtor's contact events say as of the day, from one pass over them."""

    last: tuple[int, ContactEvent, date] | None = None  # the latest contact of any kind
    last_reached: date | None = None
    today: int = 0  # capped contacts on the day
    week: int = 0  # capped contacts in the 7 days ending on the day
    legal: Legal | None = None  # the latest legal event


def _scan(debtor: Debtor, settings: Settings, day: date, local: ZoneInfo, local_today: date) -> _Contacts:
    """The contacts up to the ledger's `day`; the caps count those of the debtor's `local_today` (in
    its zone `local`: the day of its call window) and the 6 local days before it."""
    zone = settings.zone
    seen = _Contacts()
    week_start = local_today - timedelta(days=6)
    for index, event in enumerate(debtor.events):
        if isinstance(event, ContactEvent):
            when = event_day(event.at, zone)
            if when > day:
                continue
            seen.last = (index, event, when)
            if event.outcome not in NOT_REACHED:
                seen.last_reached = when if seen.last_reached is None else max(seen.last_reached, when)
            if event.type in CAPPED_TYPES:
                mine = when if local is zone else local_day(event.at, zone, local)
                if week_start <= mine <= local_today:
                    seen.week += 1
                    if mine == local_today:
                        seen.today += 1
        elif isinstance(event, Legal) and event_day(event.at, zone) <= day:
            seen.legal = event
    return seen


def _amounts(totals: Mapping[str, Decimal]) -> str:
    return " + ".join(money_display(amount, currency) for currency, amount in totals.items())


def _deadline_causes(found: Sequence[Deadline], debtor: Debtor, settings: Settings, lang: str,
                     state: DebtorState) -> tuple[list[Cause], list[str], bool]:
    """Causes of class 0, context notes (expired, released), and whether the claim was filed."""
    causes: list[Cause] = []
    notes: list[str] = []
    claim_filed = False
    kinds = {g.guarantor: g.kind for g in debtor.guarantees}
    for deadline in found:
        kind = deadline.kind
        if kind not in ("limitation", "guarantee", "claims") or deadline.date is None:
            continue
        days = deadline.days_left if deadline.days_left is not None else 0
        amount = money_display(deadline.amount, deadline.currency or state.currency) \
            if deadline.amount is not None else ""
        values = {"date": deadline.date, "days": days, "invoice": deadline.invoice or "", "amount": amount,
                  "guarantor": deadline.guarantor or ""}
        soon = deadline.status == "open" and 0 <= days <= settings.warn_days
        order = (0, days)
        if kind == "claims":
            if deadline.status == "met":
                claim_filed = True
            elif soon:
                administrator = _administrator(debtor, settings, deadline.date)
                if administrator and lang == "en":
                    administrator = f" {administrator}"
                causes.append(Cause("claims", "file_claim", _say(lang, "claims_open", **values,
                                    administrator=administrator), deadline.date, order, deadline=True))
            elif deadline.status == "expired":
                causes.append(Cause("claims", "file_claim", _say(lang, "claims_expired", **values),
                                    deadline.date, order, deadline=True))
        elif kind == "limitation":
            if soon and deadline.guarantor:
                causes.append(Cause("limitation", "demand_guarantor", _say(lang, "guarantee_debt", **values),
                                    deadline.date, order, guarantor=deadline.guarantor, deadline=True))
            elif soon:
                causes.append(Cause("limitation", "letter", _say(lang, "limitation", **values), deadline.date,
                                    order, deadline=True))
            elif deadline.status == "expired":
                notes.append(_say(lang, "limitation_expired", **values))
        elif soon:  # a guarantee period
            general = kinds.get(deadline.guarantor or "") == "general"
            causes.append(Cause("guarantee", "legal" if general else "demand_guarantor",
                                _say(lang, "guarantee_general" if general else "guarantee_joint", **values),
                                deadline.date, order, guarantor=deadline.guarantor, deadline=True))
        elif deadline.status == "released":
            notes.append(_say(lang, "guarantee_released", **values))
    return causes, notes, claim_filed


def _administrator(debtor: Debtor, settings: Settings, deadline: date) -> str:
    zone = settings.zone
    for event in reversed(debtor.events):
        if isinstance(event, Status) and event.status == "bankrupt" and event.administrator \
                and event_day(event.at, zone) <= deadline:
            return event.administrator
    return ""


def follow_up_action(text: str, fallback: str = "call") -> str:
    """What a follow-up's `next_action` asks for: letter, visit, file_claim or call (the earliest word found)."""
    lowered = text.lower()
    best: tuple[int, str] | None = None
    for action, words in _ACTION_WORDS:
        for word in words:
            at = lowered.find(word)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, action)
    return best[1] if best else fallback


def _type_name(lang: str, kind: str) -> str:
    names = dict(pair.split("=") for pair in _TEXT[lang]["contact_types"].split(","))
    return names.get(kind, kind)


def debtor_causes(debtor_id: str, debtor: Debtor, settings: Settings, day: date, *, lang: str | None = None,
                  state: DebtorState | None = None) -> AgendaItem | None:
    """The debtor's item on the day's list (rank 0, no time yet), or None when there is nothing to do."""
    lang = lang or settings.language
    if state is None:
        state = debtor_state(debtor, settings, day)
    status = state.status
    if status == "written_off":
        return None
    totals = state.open_by_currency()
    if not totals:
        return None
    rows = debtor_rows(debtor_id, debtor, settings, day, state=state)
    buckets = buckets_of(settings)
    bucket = buckets.worst(r.bucket for r in rows)
    overdue_days = [r.days_overdue for r in rows if r.days_overdue is not None]
    days_overdue = max(overdue_days) if overdue_days else None
    local = debtor_zone(debtor, settings)
    # The debtor's day of its call: the agenda's day, unless it lives far ahead or behind.
    local_today = day if local is settings.zone else call_window_on(day, settings, local)[0].date()
    seen = _scan(debtor, settings, day, local, local_today)

    causes, notes, claim_filed = _deadline_causes(debtor_deadlines(debtor_id, debtor, settings, day, state),
                                                  debtor, settings, lang, state)
    if state.bankrupt and not claim_filed and not any(c.kind == "claims" for c in causes) \
            and not _has_claims_deadline(debtor, settings, day):
        causes.append(Cause("claims", "file_claim", _say(lang, "claims_unknown", date=state.bankrupt_on),
                            state.bankrupt_on, (0, _NO_DAYS), deadline=True))

    def reached_after(when: date) -> bool:
        return seen.last_reached is not None and seen.last_reached > when

    promise_pending = False
    for promise in promise_states(debtor, settings, day, state):
        if not totals.get(promise.currency):
            continue
        amount = money_display(promise.amount, promise.currency)
        if promise.status == "pending":
            promise_pending = True
            if promise.due == day:
                short = money_display(promise.amount - promise.paid, promise.currency)
                causes.append(Cause("promise_due", "call", _say(lang, "promise_due", date=promise.due,
                                    amount=amount, short=short), promise.due, (2, 0), person=promise.with_))
        elif promise.status == "broken" and not reached_after(promise.due):
            reason = _say(lang, "promise_broken", date=promise.due, amount=amount)
            if promise.paid:
                reason += _say(lang, "promise_paid", paid=money_display(promise.paid, promise.currency))
            causes.append(Cause("promise_broken", "call", reason, promise.due, (1, promise.due.toordinal()),
                                person=promise.with_))

    plan_kept = False
    plans = plan_states(debtor, settings, day, state)
    if plans and totals:
        plan = plans[-1]
        plan_kept = plan.status == "on_track"
        missed = [i for i in plan.installments if i.status == "missed"]
        for row in plan.installments:
            if row.status == "pending" and row.due == day:
                causes.append(Cause("installment_due", "call", _say(lang, "installment_due", number=row.number,
                                    amount=money_display(row.amount, plan.currency), date=row.due),
                                    row.due, (2, 0)))
        if missed and not reached_after(missed[0].due):
            oldest = missed[0]
            reason = _say(lang, "installment_missed", number=oldest.number,
                          amount=money_display(oldest.amount, plan.currency), date=oldest.due,
                          short=money_display(oldest.amount - oldest.paid, plan.currency))
            if len(missed) > 1:
                reason += _say(lang, "installments_more", count=len(missed))
            causes.append(Cause("installment_missed", "call", reason, oldest.due, (1, oldest.due.toordinal())))

    legal_running = seen.legal is not None and seen.legal.action != "concluded"
    if seen.last is not None and seen.last[1].next_date is not None and seen.last[1].next_date <= day:
        _, event, when = seen.last
        next_date = seen.last[1].next_date
        what = event.next_action or _say(lang, "follow_up_plain", day=when, type=_type_name(lang, event.type))
        fallback = event.type if event.type in _CONTACT_ACTIONS else "call"
        action = follow_up_action(event.next_action or "", fallback)
        late = (day - next_date).days
        reason = _say(lang, "follow_up_today", what=what) if late == 0 else \
            _say(lang, "follow_up_late", date=next_date, days=late, what=what)
        person = _named(debtor.contacts, event.next_action) or event.with_
        causes.append(Cause("follow_up", action, reason, next_date, (3, next_date.toordinal()), person=person))

    threshold = settings.agenda.no_contact_days.get(bucket)
    quiet = promise_pending or plan_kept or legal_running or state.bankrupt or status in ("deregistered", "closed")
    if threshold is not None and days_overdue is not None and days_overdue > 0 and not quiet:
        fell_due = day - timedelta(days=days_overdue)
        since = max(seen.last_reached, fell_due) if seen.last_reached is not None else fell_due
        silent = (day - since).days
        if silent >= threshold:
            values = {"bucket": bucket, "overdue": days_overdue, "amount": _amounts(totals), "days": silent,
                      "last": seen.last_reached}
            never = seen.last_reached is None or seen.last_reached < fell_due
            rank = buckets.names.index(bucket)
            causes.append(Cause("no_contact", "call", _say(lang, "no_contact_never" if never else "no_contact",
                                                           **values),
                                seen.last_reached, (4, -(rank * 100_000 + silent))))

    causes, blocked, note = _apply_blocks(causes, debtor, settings, state, seen, lang, claim_filed,
                                          legal_running, day)
    if not causes:
        return None
    causes.sort(key=lambda c: c.order)
    first = causes[0]
    parts = ([note] if note else []) + [c.reason for c in causes] + notes
    contact = _contact(debtor, first, lang)
    open_main = totals.get(state.currency, sum(totals.values(), ZERO))
    return AgendaItem(0, debtor_id, debtor.name, debtor.collector, first.action, None, first.kind,
                      _TEXT[lang]["sep"].join(parts), contact, causes, blocked, bucket, days_overdue, totals,
                      order=(*first.order, -open_main, debtor_id), timezone=debtor.timezone or settings.timezone)


def _has_claims_deadline(debtor: Debtor, settings: Settings, day: date) -> bool:
    zone = settings.zone
    return any(isinstance(e, Status) and e.status == "bankrupt" and e.claims_deadline is not None
               and event_day(e.at, zone) <= day for e in debtor.events)


def _apply_blocks(causes: list[Cause], debtor: Debtor, settings: Settings, state: DebtorState, seen: _Contacts,
                  lang: str, claim_filed: bool, legal_running: bool,
                  day: date) -> tuple[list[Cause], str | None, str | None]:
    """Replace what must not be suggested; returns the causes, the block and its note."""
    status = state.status
    rules = settings.agenda
    if state.bankrupt and status not in ("deregistered", "closed"):
        action = "review" if claim_filed else "file_claim"
        note = _say(lang, "bankrupt_filed" if claim_filed else "bankrupt_claim")
        return _convert(causes, action, everything=True), "bankrupt", note
    if status == "deregistered":
        return _convert(causes, "legal", everything=True), "deregistered", _say(lang, "deregistered")
    if status == "closed":
        return _convert(causes, "review", everything=True), "closed", _say(lang, "closed")
    if status == "hold":
        kept = [c for c in causes if c.deadline]
        return kept, "hold", _say(lang, "hold") if kept else None
    if legal_running and seen.legal is not None:
        case = f" {seen.legal.case_no}" if seen.legal.case_no else ""
        if lang == "zh" and case:
            case = f"（{seen.legal.case_no}）"
        return _convert(causes, "legal"), "legal", _say(lang, "legal", case=case)
    disputed = [s.id for s in state.open_invoices() if s.disputed]
    if disputed:
        return _convert(causes, "review"), "dispute", _say(lang, "dispute", invoices=", ".join(disputed))
    if seen.today >= rules.max_contacts_per_day:
        return _convert(causes, "review", only_calls=True), "cap", \
            _say(lang, "cap_day", count=seen.today, cap=rules.max_contacts_per_day)
    week_cap = rules.max_contacts_per_week
    if week_cap is not None and seen.week >= week_cap:
        return _convert(causes, "review", only_calls=True), "cap", \
            _say(lang, "cap_week", count=seen.week, cap=week_cap)
    return causes, None, None


def _convert(causes: list[Cause], action: str, *, everything: bool = False, only_calls: bool = False) -> list[Cause]:
    """Contacts become `action`: all of them (`everything`), calls and visits only, or all but the letters
    that protect a deadline."""
    converted = []
    for cause in causes:
        touch = cause.action in _CONTACT_ACTIONS
        if only_calls:
            touch = cause.action in ("call", "visit")
        elif not everything and cause.deadline:
            touch = False
        converted.append(replace(cause, action=action) if touch else cause)
    return converted


def _named(contacts: Sequence[Contact], text: str | None) -> str | None:
    if not text:
        return None
    for contact in contacts:
        if contact.name and contact.name in text:
            return contact.name
    return None


def _is_administrator(contact: Contact) -> bool:
    role = (contact.role or "").lower()
    return "管理人" in role or "administrator" in role


def _contact(debtor: Debtor, cause: Cause, lang: str) -> dict[str, str | None] | None:
    """Whom to speak or write to: the guarantor, the person the cause names, the administrator for a
    claim, else the decision maker first."""
    if cause.action == "demand_guarantor" and cause.guarantor is not None:
        for guarantee in debtor.guarantees:
            if guarantee.guarantor == cause.guarantor:
                return {"name": guarantee.guarantor, "role": _TEXT[lang]["guarantor"], "mobile": None, "phone": None,
                        "wechat": None, "email": None, "address": guarantee.address, "note": guarantee.contact}
    contacts = list(debtor.contacts)
    chosen: Contact | None = None
    if cause.person:
        chosen = next((c for c in contacts if c.name == cause.person), None)
    if chosen is None and cause.action == "file_claim":
        chosen = next((c for c in contacts if _is_administrator(c)), None)
    if chosen is None:
        ordinary = [c for c in ordered_contacts(contacts) if not _is_administrator(c)]
        chosen = ordinary[0] if ordinary else (contacts[0] if contacts else None)
    if chosen is None:
        return None
    return {"name": chosen.name, "role": chosen.role, "mobile": chosen.mobile, "phone": chosen.phone,
            "wechat": chosen.wechat, "email": chosen.email, "address": chosen.address or debtor.address,
            "note": chosen.note}


# ---------------------------------------------------------------------------------------------
# the day


def _template(debtor: Debtor, settings: Settings, day: date, state: DebtorState, kind: str) -> str | None:
    from dunning.letters import LetterError
    from dunning.letters import choose_template

    try:
        return choose_template(debtor, settings, day, state).template
    except LetterError:
        # A deadline cannot wait for the ladder (a pending promise, a plan being kept): a demand it is.
        return "demand" if kind == "limitation" else None


def call_window_on(day: date, settings: Settings, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The `call_window` in `zone`'s local hours that starts on the ledger's `day` (in the ledger's
    zone): the same date where it starts that day, else the next or the previous local date (a debtor
    many hours ahead or behind). Aware datetimes in `zone`; the end of `24:00` is the end of the day."""
    start, end = hours_range(settings.call_window)
    ledger = settings.zone
    chosen = day
    for local in (day, day + timedelta(days=1), day - timedelta(days=1)):
        if datetime.combine(local, start, tzinfo=zone).astimezone(ledger).date() == day:
            chosen = local
            break
    return datetime.combine(chosen, start, tzinfo=zone), datetime.combine(chosen, end, tzinfo=zone)


def schedule(items: list[AgendaItem], settings: Settings, day: date) -> None:
    """Number the items and give each call a slot of `call_minutes` in the call window of the debtor's
    local time (`item.timezone`) on the ledger's `day`, per collector, in rank order: the earliest slot
    of its window that does not overlap one the collector already has (none: no time). `at` is in
    the ledger's time, `local_at` in the debtor's. Letters, claims and guarantor demands come after the
    ledger's window (its end time)."""
    _, end = hours_range(settings.call_window)
    step = timedelta(minutes=settings.agenda.call_minutes)
    ledger = settings.zone
    after = f"{end.hour:02d}:{end.minute:02d}" if end != time(23, 59, 59, 999999) else "24:00"
    windows: dict[str, tuple[datetime, datetime]] = {}  # per zone, in UTC: instants compare as instants
    taken: dict[str | None, list[tuple[datetime, datetime]]] = {}  # per collector
    first_free: dict[tuple[str | None, str], int] = {}  # per collector and zone: slots before it are taken
    for rank, item in enumerate(items, start=1):
        item.rank = rank
        item.local_at = item.local_date = item.local_note = None
        if item.action == "call":
            zone_name = item.timezone or settings.timezone
            if zone_name not in windows:
                begin, finish = call_window_on(day, settings, ZoneInfo(zone_name))
                windows[zone_name] = (begin.astimezone(UTC), finish.astimezone(UTC))
            opens, closes = windows[zone_name]
            busy = taken.setdefault(item.collector, [])
            index = first_free.get((item.collector, zone_name), 0)
            item.at = None
            while True:
                slot = opens + index * step
                slot_day = slot.astimezone(ledger).date()
                if slot + step > closes or slot_day > day:
                    break
                if slot_day == day and all(slot + step <= b or e <= slot for b, e in busy):
                    busy.append((slot, slot + step))
                    _place(item, slot, ZoneInfo(zone_name), ledger, day)
                    index += 1
                    break
                index += 1
            first_free[(item.collector, zone_name)] = index
        elif item.action in _AFTER_WINDOW:
            item.at = after
        else:
            item.at = None


def _place(item: AgendaItem, slot: datetime, zone: ZoneInfo, ledger: ZoneInfo, day: date) -> None:
    """The slot in the ledger's time, and in the debtor's where it reads differently."""
    here, there = slot.astimezone(ledger), slot.astimezone(zone)
    item.at, item.local_at, item.local_date = f"{here:%H:%M}", f"{there:%H:%M}", there.date()
    if item.local_at != item.at or item.local_date != day:
        other_day = f", {item.local_date}" if item.local_date != day else ""
        item.local_note = f"{item.local_at} {item.timezone}{other_day}"


def agenda(debtors: Mapping[str, Debtor], settings: Settings, day: date, collector: str | None = None, *,
           lang: str | None = None) -> Agenda:
    """The day's work list of one collector (a key of `collectors`; None: everyone), most urgent first.

    One pass per debtor over its file (balances, promises, plans, deadlines, contacts): linear in the
    ledger. Raises `UnknownJurisdiction` (from `dunning.deadlines`) for a jurisdiction without rules.
    """
    items: list[AgendaItem] = []
    for debtor_id, debtor in debtors.items():
        if collector is not None and debtor.collector != collector:
            continue
        state = debtor_state(debtor, settings, day)
        if not state.open_by_currency():
            continue
        item = debtor_causes(debtor_id, debtor, settings, day, lang=lang, state=state)
        if item is None:
            continue
        if item.action == "letter":
            item.template = _template(debtor, settings, day, state, item.kind)
        elif item.action in _TEMPLATE_OF:
            item.template = _TEMPLATE_OF[item.action]
        items.append(item)
    items.sort(key=lambda item: item.order)
    schedule(items, settings, day)
    return Agenda(day, collector, settings.call_window, items)
