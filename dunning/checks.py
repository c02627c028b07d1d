"""Checks across a file and across the ledger, beyond the schema: `validate_x(...) -> list[LedgerError]`."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from datetime import timedelta
from functools import lru_cache
from itertools import chain
from operator import attrgetter
from pathlib import Path

import yaml

from dunning.ledger import DEBTORS_DIR
from dunning.ledger import SETTINGS_FILE
from dunning.ledger import LedgerError
from dunning.ledger import _MarkLoader
from dunning.ledger import node_mark
from dunning.model import ContactEvent
from dunning.model import Credit
from dunning.model import Debtor
from dunning.model import GuarantorDemand
from dunning.model import Payment
from dunning.model import Settings
from dunning.model import credit_code_mismatch
from dunning.model import debtor_zone
from dunning.model import event_day
from dunning.model import event_instant
from dunning.model import hours_range
from dunning.model import local_day
from dunning.model import local_time


@lru_cache(maxsize=64)
def _composed(path: Path, mtime_ns: int) -> yaml.Node | None:
    try:
        return yaml.compose(path.read_text(encoding="utf-8"), Loader=_MarkLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


def place(root: Path, debtor_id: str, loc: Sequence[int | str], message: str,
          severity: str = "error") -> LedgerError:
    """An error at the YAML node of `loc` in a debtor file (read again only on this error path)."""
    return place_in(root, f"{DEBTORS_DIR}/{debtor_id}.yaml", loc, message, severity)


def place_in(root: Path, relpath: str, loc: Sequence[int | str], message: str,
             severity: str = "error") -> LedgerError:
    """An error at the YAML node of `loc` in any file of the ledger (`dunning.yaml` too)."""
    path = root / relpath
    try:
        node = _composed(path, path.stat().st_mtime_ns)
    except OSError:
        node = None
    line = column = 1
    if node is not None:
        mark = node_mark(node, list(loc))
        line, column = mark.line + 1, mark.column + 1
    where = ""
    for part in loc:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else part)
    return LedgerError(relpath, line, column, f"{where}: {message}" if where else message, severity)


_ID, _INVOICES, _COLLECTOR = attrgetter("id"), attrgetter("invoices"), attrgetter("collector")


def validate_unique_invoices(root: Path, debtors: dict[str, Debtor]) -> list[LedgerError]:
    # every load asks, and the answer is almost always yes: found at C speed first (550,000 ids of a
    # 100k ledger in ~0.1 s), the offending ones looked for only when there are some
    ids = list(map(_ID, chain.from_iterable(map(_INVOICES, debtors.values()))))
    if len(set(ids)) == len(ids):
        return []
    first: dict[str, str] = {}
    errors = []
    for debtor_id, debtor in debtors.items():
        for index, invoice in enumerate(debtor.invoices):
            owner = first.get(invoice.id)
            if owner is None:
                first[invoice.id] = debtor_id
                continue
            elsewhere = "this file" if owner == debtor_id else f"{DEBTORS_DIR}/{owner}.yaml"
            errors.append(place(root, debtor_id, ["invoices", index, "id"],
                                f"invoice id '{invoice.id}' is already used in {elsewhere}"))
    return errors


def validate_collectors(root: Path, settings: Settings, debtors: dict[str, Debtor]) -> list[LedgerError]:
    """Debtors' collectors are keys of `collectors`; a ledger without that list names nobody wrong."""
    known = settings.collectors
    listing = ", ".join(known)
    errors: list[LedgerError] = []
    if not known or set(map(_COLLECTOR, debtors.values())) <= {*known, None}:  # the usual case, at C speed
        return errors
    for debtor_id, debtor in debtors.items():
        if debtor.collector is not None and debtor.collector not in known:
            errors.append(place(root, debtor_id, ["collector"],
                                f"unknown collector '{debtor.collector}' (dunning.yaml collectors: {listing})"))
    return errors


def validate_debtor(root: Path, settings: Settings, debtor_id: str, debtor: Debtor,
                    *, evidence: bool = True) -> list[LedgerError]:
    """Everything about one file that the schema cannot see: references, order, dates, hours."""
    errors: list[LedgerError] = []
    zone = settings.zone
    invoices = {i.id: i for i in debtor.invoices}
    guarantors = {g.guarantor for g in debtor.guarantees}
    start, end = hours_range(settings.contact_hours)
    # contact_hours are the debtor's: a debtor abroad is judged by its own clock.
    local_zone = debtor_zone(debtor, settings)
    abroad = f" {debtor.timezone} time" if debtor.timezone not in (None, settings.timezone) else ""

    def known(loc: list[int | str], invoice_id: str | None) -> None:
        if invoice_id is not None and invoice_id not in invoices:
            errors.append(place(root, debtor_id, loc, f"unknown invoice '{invoice_id}' (this debtor has: "
                                f"{', '.join(invoices) or 'no invoices'})"))

    if debtor.credit_code is not None:
        problem = credit_code_mismatch(debtor.credit_code)
        if problem:
            errors.append(place(root, debtor_id, ["credit_code"], f"{problem}: a typo?", severity="warning"))
    for g_index, guarantee in enumerate(debtor.guarantees):
        for i_index, invoice_id in enumerate(guarantee.invoices or []):
            known(["guarantees", g_index, "invoices", i_index], invoice_id)

    # Time order: a bare date means that whole day, so it is in order with any time of the same day
    # (a payment dated today after this morning's call); a time is compared with the latest time.
    latest_day: date | None = None
    latest_instant: datetime | None = None
    for index, event in enumerate(debtor.events):
        loc: list[int | str] = ["events", index]
        this_day = event_day(event.at, zone)
        timed = isinstance(event.at, datetime)
        instant = event_instant(event.at, zone) if timed else None
        if (latest_day is not None and this_day < latest_day) or (
                instant is not None and latest_instant is not None and instant < latest_instant):
            errors.append(place(root, debtor_id, [*loc, "at"], f"{event.at.isoformat()} is earlier than the event "
                                "before it: events are kept in time order (append new events at the end)"))
        latest_day = this_day if latest_day is None or this_day > latest_day else latest_day
        if instant is not None and (latest_instant is None or instant > latest_instant):
            latest_instant = instant
        if event.by is not None and settings.collectors and event.by not in settings.collectors:
            errors.append(place(root, debtor_id, [*loc, "by"], f"unknown collector '{event.by}' "
                                f"(dunning.yaml collectors: {', '.join(settings.collectors)})"))
        for i_index, invoice_id in enumerate(event.invoices or []):
            known([*loc, "invoices", i_index], invoice_id)
        day = event_day(event.at, zone)
        if isinstance(event, Payment | Credit):
            known([*loc, "invoice"], event.invoice)
            if isinstance(event, Payment) and event.invoice in invoices and event.currency is not None:
                invoice_currency = invoices[event.invoice].currency or debtor.currency or settings.currency
                if invoice_currency != event.currency:
                    errors.append(place(root, debtor_id, [*loc, "currency"], f"payment in {event.currency} "
                                        f"names invoice {event.invoice} in {invoice_currency}"))
        if isinstance(event, ContactEvent):
            if event.delivered is not None and event.delivered < day:
                errors.append(place(root, debtor_id, [*loc, "delivered"], f"delivered {event.delivered} "
                                    f"before it was sent on {day}"))
            if event.promise is not None and event.promise.date < day:
                errors.append(place(root, debtor_id, [*loc, "promise", "date"], f"promise date "
                                    f"{event.promise.date} is before the contact on {day}"))
            if event.next_date is not None and event.next_date < day:
                errors.append(place(root, debtor_id, [*loc, "next_date"], f"follow-up {event.next_date} "
                                    f"is before the contact on {day}"))
            if isinstance(event.at, datetime) and event.type != "letter":
                if local_zone is not zone:
                    local = local_time(event.at, zone, local_zone)
                else:
                    local = event.at.astimezone(zone) if event.at.tzinfo else event.at
                if not start <= local.time() <= end:
                    errors.append(place(root, debtor_id, [*loc, "at"], f"contact at {local:%H:%M}{abroad} is "
                                        f"outside contact_hours {settings.contact_hours}", "warning"))
        if isinstance(event, GuarantorDemand):
            if event.guarantor not in guarantors:
                errors.append(place(root, debtor_id, [*loc, "guarantor"], f"'{event.guarantor}' is not a "
                                    f"guarantor of this debtor ({', '.join(guarantors) or 'no guarantees'})"))
            if event.delivered is not None and event.delivered < day:
                errors.append(place(root, debtor_id, [*loc, "delivered"], f"delivered {event.delivered} "
                                    f"before it was sent on {day}"))
        if evidence:
            errors.extend(_validate_evidence(root, debtor_id, event.evidence, loc))
    errors.extend(validate_contact_rules(root, settings, debtor_id, debtor))
    return errors


# Contacts that count toward the caps (agenda.max_contacts_per_day / _per_week): a letter is not an intrusion.
CAPPED_CONTACTS = frozenset({"call", "visit", "wechat", "sms", "email"})


def validate_contact_rules(root: Path, settings: Settings, debtor_id: str, debtor: Debtor) -> list[LedgerError]:
    """Warnings: more contacts with the debtor on one day than `agenda.max_contacts_per_day`, or in 7 days
    than `agenda.max_contacts_per_week` (when set); once per run of excess, at the contact that went over.
    A day is the debtor's (its `timezone`, else the ledger's).
    (Contacts outside `contact_hours` are warned about in `validate_debtor`.)"""
    rules = settings.agenda
    zone = settings.zone
    local_zone = debtor_zone(debtor, settings)
    abroad = f" {debtor.timezone} time" if debtor.timezone not in (None, settings.timezone) else ""
    days = [(index, event_day(event.at, zone) if local_zone is zone else local_day(event.at, zone, local_zone),
             event.type) for index, event in enumerate(debtor.events)
            if isinstance(event, ContactEvent) and event.type in CAPPED_CONTACTS]
    warnings: list[LedgerError] = []
    per_day: dict[date, int] = {}
    for index, day, _ in days:
        per_day[day] = per_day.get(day, 0) + 1
        if per_day[day] == rules.max_contacts_per_day + 1:
            types = ", ".join(t for _, d, t in days if d == day)
            warnings.append(place(root, debtor_id, ["events", index, "at"], f"{per_day[day]} contacts with this "
                                  f"debtor on {day}{abroad} ({types}): more than agenda.max_contacts_per_day "
                                  f"{rules.max_contacts_per_day}", "warning"))
    cap = rules.max_contacts_per_week
    if cap is not None:
        ordered = sorted(days, key=lambda d: (d[1], d[0]))
        low = 0
        over = False
        for high, (index, day, _) in enumerate(ordered):
            while ordered[low][1] <= day - timedelta(days=7):
                low += 1
            count = high - low + 1
            if count > cap and not over:
                warnings.append(place(root, debtor_id, ["events", index, "at"], f"{count} contacts with this "
                                      f"debtor in the 7 days to {day}{abroad}: more than agenda.max_contacts_per_week "
                                      f"{cap}", "warning"))
            over = count > cap
    return warnings


def _validate_evidence(root: Path, debtor_id: str, items: Sequence[object],
                       loc: list[int | str]) -> list[LedgerError]:
    errors: list[LedgerError] = []
    if not items:  # most events have none: resolving paths costs ~60 us an event
        return errors
    folder = (root / "evidence" / debtor_id).resolve()
    # a folder that is a link out of the ledger: what is there is not the ledger's, never hash or trust it
    linked_out = not folder.is_relative_to(root.resolve())
    for e_index, item in enumerate(items):
        ref_path = getattr(item, "path", "")
        ref_sha = getattr(item, "sha256", None)
        here = [*loc, "evidence", e_index]
        if linked_out:
            errors.append(place(root, debtor_id, here, f"evidence/{debtor_id}/ leads outside the ledger (a symbolic "
                                "link): evidence must lie in the ledger (move the folder in, in place of the link)"))
            continue
        target = (root / ref_path).resolve()
        if not target.is_relative_to(folder):
            errors.append(place(root, debtor_id, here, f"evidence must lie under evidence/{debtor_id}/, "
                                f"got '{ref_path}'"))
            continue
        if not target.is_file():  # the record stands; what proves it is missing: a warning
            errors.append(place(root, debtor_id, here, f"evidence file '{ref_path}' does not exist (add it, "
                                "or the event may not be provable)", severity="warning"))
            continue
        if ref_sha is not None:
            actual = hashlib.sha256(target.read_bytes()).hexdigest()
            if actual != ref_sha.lower():
                errors.append(place(root, debtor_id, here, f"evidence '{ref_path}' has sha256 {actual[:12]}..., "
                                    f"the record says {ref_sha[:12]}...: the file was changed"))
    return errors


def validate_settings(root: Path, settings: Settings) -> list[LedgerError]:
    """What the schema of dunning.yaml cannot see: the creditor's check character, the rule set."""
    from dunning.deadlines import known_jurisdictions

    errors: list[LedgerError] = []
    code = settings.creditor.credit_code
    problem = credit_code_mismatch(code) if code is not None else None
    if problem:
        errors.append(place_in(root, SETTINGS_FILE, ["creditor", "credit_code"], f"{problem}: a typo?", "warning"))
    known = known_jurisdictions()
    if settings.jurisdiction not in known:
        errors.append(place_in(root, SETTINGS_FILE, ["jurisdiction"], f"unknown jurisdiction "
                               f"'{settings.jurisdiction}': no limitation rules for it (known: {', '.join(known)})"))
    return errors


def validate_jurisdictions(root: Path, debtors: dict[str, Debtor]) -> list[LedgerError]:
    """A debtor's jurisdiction without a rule set: no limitation date could be computed for it."""
    from dunning.deadlines import known_jurisdictions

    known = known_jurisdictions()
    return [place(root, debtor_id, ["jurisdiction"], f"unknown jurisdiction '{debtor.jurisdiction}': no "
                  f"limitation rules for it (known: {', '.join(known)})")
            for debtor_id, debtor in debtors.items()
            if debtor.jurisdiction is not None and debtor.jurisdiction not in known]


def cross_checks(root: Path, settings: Settings, debtors: dict[str, Debtor],
                 *, deep: bool = False) -> list[LedgerError]:
    """The checks every load makes (cheap), and with `deep` every check of `dunning check`."""
    errors = validate_unique_invoices(root, debtors) + validate_collectors(root, settings, debtors)
    return errors + deep_checks(root, settings, debtors) if deep else errors


def deep_checks(root: Path, settings: Settings, debtors: dict[str, Debtor]) -> list[LedgerError]:
    """What only `dunning check` (and a write, for its one file) looks at: settings, rule sets, and
    each file's references, order, dates, hours and evidence."""
    errors = validate_settings(root, settings) + validate_jurisdictions(root, debtors)
    for debtor_id, debtor in debtors.items():
        errors.extend(validate_debtor(root, settings, debtor_id, debtor))
    return errors
