"""Reminders as iCalendar (RFC 5545): promises, instalments, deadlines and follow-ups, with alarms (pure).

What goes in, for the days from `start` for `days` days:

* the deadlines that lose money, still open: limitation per open invoice, guarantee periods, the
  bankruptcy claims deadline (`dunning.deadlines`); all-day events on their last day, with alarms
  14, 7 and 1 day(s) before at the start of the call window: time to get a letter delivered;
* promises not yet kept and instalments not yet paid of the current plan (`dunning.balances`):
  all-day events on their date, alarms the day before and on the day at the start of the call window;
* follow-ups set by the latest contact's `next_date` (not yet superseded by a later contact): a call
  at the start of the call window in the ledger's time zone (`TZID` with its `VTIMEZONE`), lasting
  `agenda.call_minutes`, with an alarm 15 minutes before.

All-day events are date-valued (`DTSTART;VALUE=DATE`), as deadlines are: they stay on their day
whatever the reader's time zone. Each event's UID is derived from what it is (kind, debtor, invoice,
guarantor, the event's place in the append-only file), never from its date, so importing a newer
export updates the events instead of duplicating them; DTSTAMP says when it was made.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

from dunning.agenda import call_window_on
from dunning.agenda import follow_up_action
from dunning.balances import debtor_state
from dunning.balances import plan_states
from dunning.balances import promise_states
from dunning.deadlines import debtor_deadlines
from dunning.model import ContactEvent
from dunning.model import Debtor
from dunning.model import Settings
from dunning.model import debtor_zone
from dunning.model import event_day
from dunning.model import hours_range
from dunning.render import money_display

DEADLINE_ALARMS_DAYS = (14, 7, 1)
FOLLOW_UP_ALARM = timedelta(minutes=-15)

_WORDS = {
    "zh": {
        "limitation": "诉讼时效届满", "guarantee_debt": "保证债务诉讼时效届满", "guarantee": "保证期间届满",
        "claims": "债权申报截止", "promise": "承诺付款", "installment": "分期还款第 {number} 期",
        "follow_up": "跟进", "guarantor": "保证人", "collector": "催收员", "contact": "联系人",
        "alarm_before": "{what}：还剩 {days} 天", "alarm_today": "{what}：今天", "calendar": "催收提醒",
        "basis": "依据", "debtor": "债务人", "todo": "待办",
        "do_limitation": "届满前须送达催款函或取得对方书面确认",
        "do_guarantee": "届满前须向保证人书面主张（一般保证：对债务人起诉或仲裁）",
        "do_guarantee_debt": "届满前再次向保证人书面主张",
        "do_claims": "向管理人申报债权", "do_promise": "核实是否到账", "do_installment": "核实是否到账",
        "promised": "承诺于 {made} 作出（{who}）", "plan": "{day} 的还款计划：第 {number}/{count} 期",
    },
    "en": {
        "limitation": "Limitation ends", "guarantee_debt": "Limitation against the guarantor ends",
        "guarantee": "Guarantee period ends", "claims": "Bankruptcy claims deadline", "promise": "Promised payment",
        "installment": "Instalment {number}", "follow_up": "Follow up", "guarantor": "guarantor",
        "collector": "collector", "contact": "contact", "alarm_before": "{what}: {days} day(s) left",
        "alarm_today": "{what}: today", "calendar": "Collection reminders", "basis": "basis", "debtor": "debtor",
        "todo": "to do",
        "do_limitation": "a demand must reach the debtor, or a written acknowledgment be signed, before then",
        "do_guarantee": "demand payment from the guarantor in writing before then (a general guarantee: sue the "
                        "debtor)",
        "do_guarantee_debt": "demand payment from the guarantor in writing again before then",
        "do_claims": "file the claim with the administrator", "do_promise": "check the payment",
        "do_installment": "check the payment",
        "promised": "promised on {made} ({who})", "plan": "instalment plan of {day}: {number} of {count}",
    },
}


@dataclass(frozen=True)
class Reminder:
    """One calendar event: all-day on `day`, or at `at` (local time in the ledger's zone) for `minutes`."""

    uid: str
    kind: str  # limitation, guarantee, claims, promise, installment, follow_up
    debtor: str
    day: date
    summary: str
    description: str
    alarms: tuple[timedelta, ...]  # relative to the start
    alarm_texts: tuple[str, ...]
    at: time | None = None
    minutes: int = 0
    collector: str | None = None


def _uid(settings: Settings, kind: str, debtor_id: str, *parts: str) -> str:
    """Stable across exports: what the event is, not when; ASCII whatever the names."""
    ledger = hashlib.sha256(settings.creditor.name.encode("utf-8")).hexdigest()[:12]
    what = hashlib.sha256("\x1f".join((kind, debtor_id, *parts)).encode("utf-8")).hexdigest()[:16]
    return f"{kind}-{debtor_id}-{what}@{ledger}.dunning"


def _at_start(days_before: int, start: time) -> timedelta:
    """From the start of an all-day event to `start` o'clock `days_before` days earlier."""
    return timedelta(days=-days_before, hours=start.hour, minutes=start.minute)


def _say(lang: str, key: str, **values: object) -> str:
    return _WORDS[lang][key].format(**values)


def reminders(debtors: Mapping[str, Debtor], settings: Settings, start: date, days: int, *,
              collector: str | None = None, lang: str | None = None) -> list[Reminder]:
    """Every reminder dated from `start` to `start + days - 1`, by date then debtor and kind.

    Computed as of `start` (today): an open deadline, a promise not yet kept, an instalment not yet
    paid, a follow-up not yet done. Raises `UnknownJurisdiction` like `dunning.deadlines`.
    """
    lang = lang or settings.language
    end = start + timedelta(days=days)
    window_start, window_end = hours_range(settings.call_window)
    found: list[Reminder] = []
    for debtor_id, debtor in debtors.items():
        if collector is not None and debtor.collector != collector:
            continue
        found.extend(_debtor_reminders(debtor_id, debtor, settings, start, end, (window_start, window_end), lang))
    found.sort(key=lambda r: (r.day, r.at or time.min, r.debtor, r.kind, r.uid))
    return found


def _debtor_reminders(debtor_id: str, debtor: Debtor, settings: Settings, start: date, end: date,
                      window: tuple[time, time], lang: str) -> list[Reminder]:
    window_start, window_end = window
    state = debtor_state(debtor, settings, start)
    found: list[Reminder] = []
    head = f"{debtor.name} ({debtor_id})"
    collector = settings.collectors.get(debtor.collector, debtor.collector) if debtor.collector else None
    who = f"{_say(lang, 'collector')}: {collector}" if collector else ""

    def add(kind: str, key: tuple[str, ...], day: date, title: str, todo: str, lines: list[str],
            alarm_days: tuple[int, ...]) -> None:
        alarms = tuple(_at_start(n, window_start) for n in alarm_days)
        texts = tuple(_say(lang, "alarm_before", what=title, days=n) if n else _say(lang, "alarm_today", what=title)
                      for n in alarm_days)
        description = "\n".join(x for x in (f"{_say(lang, 'debtor')}: {head}", who,
                                            f"{_say(lang, 'todo')}: {todo}", *lines) if x)
        found.append(Reminder(_uid(settings, kind, debtor_id, *key), kind, debtor_id, day, title, description,
                              alarms, texts, collector=debtor.collector))

    if state.open_by_currency():
        for deadline in debtor_deadlines(debtor_id, debtor, settings, start, state):
            if deadline.kind not in ("limitation", "guarantee", "claims") or deadline.status != "open" \
                    or deadline.date is None or not start <= deadline.date < end:
                continue
            amount = money_display(deadline.amount, deadline.currency or state.currency) \
                if deadline.amount is not None else ""
            kind = deadline.kind
            label = "guarantee_debt" if kind == "limitation" and deadline.guarantor else kind
            parts = [_say(lang, label), debtor.name, deadline.invoice or "", amount]
            if deadline.guarantor:
                parts.append(f"{_say(lang, 'guarantor')} {deadline.guarantor}")
            title = " · ".join(p for p in parts if p)
            lines = [f"{_say(lang, 'basis')}: {deadline.rule}", *(f"- {line}" for line in deadline.basis)]
            add(kind, (deadline.invoice or "", deadline.guarantor or ""), deadline.date, title,
                _say(lang, f"do_{label}"), lines, DEADLINE_ALARMS_DAYS)
    for promise in promise_states(debtor, settings, start, state):
        if promise.status != "pending" or not start <= promise.due < end:
            continue
        title = f"{_say(lang, 'promise')} · {debtor.name} · {money_display(promise.amount, promise.currency)}"
        made = _say(lang, "promised", made=promise.made, who=promise.with_ or "-")
        add("promise", (str(promise.event_index),), promise.due, title, _say(lang, "do_promise"),
            [made], (1, 0))
    plans = plan_states(debtor, settings, start, state)
    if plans:
        plan = plans[-1]
        for row in plan.installments:
            if row.status != "pending" or not start <= row.due < end:
                continue
            title = (f"{_say(lang, 'installment', number=row.number)} · {debtor.name} · "
                     f"{money_display(row.amount, plan.currency)}")
            add("installment", (str(plan.event_index), str(row.number)), row.due, title,
                _say(lang, "do_installment"),
                [_say(lang, "plan", day=plan.day, number=row.number, count=len(plan.installments))], (1, 0))
    follow = _follow_up(debtor, settings, start)
    if follow is not None:
        index, event, when = follow
        next_date = event.next_date
        assert next_date is not None
        if start <= next_date < end:
            what = event.next_action or f"{event.type} {when}"
            contact = f"{_say(lang, 'contact')}: {event.with_}" if event.with_ else ""
            description = "\n".join(x for x in (f"{_say(lang, 'debtor')}: {head}", who, contact,
                                                f"{event.type} {when}: {event.summary or ''}".rstrip(": ")) if x)
            title = f"{_say(lang, 'follow_up')} · {debtor.name}: {what}"
            uid = _uid(settings, "follow_up", debtor_id, str(index))
            if follow_up_action(event.next_action or "", "call") in ("call", "visit"):
                at = window_start
                if debtor.timezone is not None and debtor.timezone != settings.timezone:
                    # a debtor abroad is called in its own window: its start, in the ledger's time
                    local_start, _ = call_window_on(next_date, settings, debtor_zone(debtor, settings))
                    at = local_start.astimezone(settings.zone).time()
                    description += f"\n{local_start:%H:%M} {debtor.timezone}"
                found.append(Reminder(uid, "follow_up", debtor_id, next_date, title, description, (FOLLOW_UP_ALARM,),
                                      (title,), at=at, minutes=settings.agenda.call_minutes,
                                      collector=debtor.collector))
            else:  # a letter or a filing: a task for the day, after the calls
                found.append(Reminder(uid, "follow_up", debtor_id, next_date, title, description,
                                      (_at_start(0, window_end),), (title,), collector=debtor.collector))
    return found


def _follow_up(debtor: Debtor, settings: Settings, as_of: date) -> tuple[int, ContactEvent, date] | None:
    """The latest contact up to `as_of`, when it set a `next_date` (a later contact supersedes it)."""
    zone = settings.zone
    latest: tuple[int, ContactEvent, date] | None = None
    for index, event in enumerate(debtor.events):
        if isinstance(event, ContactEvent):
            when = event_day(event.at, zone)
            if when <= as_of:
                latest = (index, event, when)
    if latest is None or latest[1].next_date is None:
        return None
    return latest


def to_ics(found: list[Reminder], settings: Settings, stamp: datetime, *, lang: str | None = None) -> bytes:
    """The iCalendar file: VERSION 2.0, PRODID, METHOD PUBLISH, the ledger's VTIMEZONE, one VEVENT each."""
    from icalendar import Alarm
    from icalendar import Calendar
    from icalendar import Event

    from dunning import __version__

    lang = lang or settings.language
    zone = settings.zone
    stamp = stamp.astimezone(UTC).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", f"-//dunning//dunning {__version__}//{lang.upper()}")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{_say(lang, 'calendar')} · {settings.creditor.name}")
    calendar.add("x-wr-timezone", settings.timezone)
    for reminder in found:
        event = Event()
        event.add("uid", reminder.uid)
        event.add("dtstamp", stamp)
        if reminder.at is None:
            event.add("dtstart", reminder.day)
            event.add("dtend", reminder.day + timedelta(days=1))
            event.add("transp", "TRANSPARENT")
        else:
            begin = datetime.combine(reminder.day, reminder.at, tzinfo=zone)
            event.add("dtstart", begin)
            event.add("dtend", begin + timedelta(minutes=reminder.minutes))
        event.add("summary", reminder.summary)
        event.add("description", reminder.description)
        event.add("categories", [reminder.kind])
        event.add("status", "CONFIRMED")
        for trigger, text in zip(reminder.alarms, reminder.alarm_texts, strict=True):
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", text)
            alarm.add("trigger", trigger)
            event.add_component(alarm)
        calendar.add_component(event)
    if any(r.at is not None for r in found):
        calendar.add_missing_timezones()
    ical: bytes = calendar.to_ical()
    return ical
