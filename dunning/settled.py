"""Settled balances: each debtor's open invoices after the last dated event of its file, kept in the cache.

`dunning age` replays every debtor's events (`dunning.balances.debtor_state`, ~13 us a debtor). For
any as-of date on or after a debtor's **horizon** (the latest issue day of its invoices and day of
its money events: payment, credit, dispute, resolve, status) that replay always ends in the same
balances: every invoice is issued and every event counted, and nothing in it reads the as-of date
except to leave out what comes after it. So the cache keeps the replay's result once per file,
reduced to what aging reads (`Settled`), and `age` reads it back in ~2 us instead of replaying.

Nothing here computes money a second way: `settle` *is* `debtor_state` at the horizon. What can go
stale is guarded where it is served (`Snapshots.state`):

* the debtor file: an entry is kept with the file's digest and recomputed when the file changes;
* the settings: the whole cache carries a fingerprint of what the replay reads of them
  (`balances.ReplayTerms`: the time zone, with a digest of the zone's rules, and the currency),
  and every entry is recomputed when it differs;
* the code: `balances.py` and this module are part of the cache key (`dunning.cache.KEY_SOURCES`);
* the as-of date: before the horizon the replay runs as always;
* the debtor object: a snapshot is served only for the very debtor object the cache loaded, so a
  debtor replaced in memory (say by `model_copy` with one more event) is replayed. Debtors are
  never changed in place (records are frozen; their lists are not, and nothing appends to them);
* the settings object: served only with the settings it was computed for.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import zoneinfo
from datetime import date
from decimal import Decimal
from importlib import resources

import msgspec

from dunning.balances import MONEY_EVENTS
from dunning.balances import debtor_state
from dunning.balances import replay_terms
from dunning.model import Debtor
from dunning.model import Settings
from dunning.model import event_day

NONE = -1  # the horizon of an entry without a snapshot (settings broken, or none computed)


class OpenItem(msgspec.Struct, array_like=True, frozen=True, gc=False):
    """An invoice with money open, as `dunning.aging.debtor_rows` reads an `InvoiceState`."""

    id: str
    currency: str
    due: date
    open: Decimal
    disputed: bool


class Settled(msgspec.Struct, array_like=True, frozen=True, gc=False):
    """What `debtor_state(debtor, settings, as_of, trail=False)` gives for any as_of >= horizon, as
    aging reads it: the open invoices (in the replay's order: effective due date, then id), the
    unapplied credit per currency, and the debtor's own currency."""

    horizon: date
    currency: str
    invoices: list[OpenItem]
    unapplied: dict[str, Decimal]


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Settled)


def horizon(debtor: Debtor, settings: Settings) -> date:
    """The last day that can change the debtor's balances: the latest invoice issue day and money-event
    day (in the ledger's time zone, as the replay takes it); `date.min` for a debtor with neither."""
    zone = replay_terms(settings).zone
    last = date.min
    for invoice in debtor.invoices:
        if invoice.issued > last:
            last = invoice.issued
    for event in debtor.events:
        if event.type in MONEY_EVENTS:
            day = event_day(event.at, zone)
            if day > last:
                last = day
    return last


def settle(debtor: Debtor, settings: Settings) -> Settled:
    """The debtor's balances after its last event: the replay itself, run at the horizon."""
    last = horizon(debtor, settings)
    state = debtor_state(debtor, settings, last, trail=False)
    return Settled(last, state.currency,
                   [OpenItem(s.id, s.currency, s.due, s.open, s.disputed) for s in state.invoices if s.open],
                   dict(state.unapplied))


def fingerprint(settings: Settings) -> str:
    """What the replay reads of the settings (`balances.ReplayTerms`: the time zone and the currency),
    with the zone's rules themselves: an update of the time-zone database can move an event to
    another day. Other settings (collectors, buckets...) do not change balances."""
    terms = replay_terms(settings)
    parts = []
    for item in dataclasses.fields(terms):
        value = getattr(terms, item.name)
        if isinstance(value, zoneinfo.ZoneInfo):
            parts.append(f"{item.name}={value.key}@{_zone_rules(value.key)}")
        else:
            parts.append(f"{item.name}={value!r}")
    return " ".join(parts)


def _zone_rules(key: str) -> str:
    """A digest of the zone's TZif data, from where `zoneinfo` reads it (TZPATH, then the tzdata package);
    random when it cannot be read, so that nothing is ever served for rules nobody can compare."""
    data: bytes | None = None
    for folder in zoneinfo.TZPATH:
        try:
            with open(os.path.join(folder, key), "rb") as file:  # noqa: PTH118 - TZPATH entries are text
                data = file.read()
            break
        except OSError:
            continue
    if data is None:
        try:
            data = resources.files("tzdata.zoneinfo").joinpath(*key.split("/")).read_bytes()
        except (ImportError, OSError):
            return os.urandom(8).hex()
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def encode(debtor: Debtor, settings: Settings) -> tuple[int, bytes]:
    """(horizon as an ordinal, packed `Settled`) for a cache entry."""
    settled = settle(debtor, settings)
    return settled.horizon.toordinal(), _encoder.encode(settled)


class Snapshots:
    """The settled balances a load kept: for each debtor, the debtor object, its horizon and its packed
    `Settled`. Empty when the cache is off or the settings are broken: every debtor is then replayed."""

    __slots__ = ("_entries", "_settings")

    def __init__(self, settings: Settings | None = None,
                 entries: dict[str, tuple[Debtor, int, msgspec.Raw]] | None = None) -> None:
        self._settings = settings
        self._entries = entries or {}

    def __len__(self) -> int:
        return len(self._entries)

    def state(self, debtor_id: str, debtor: Debtor, settings: Settings, as_of: date) -> Settled | None:
        """The debtor's settled balances when they are what a replay as of `as_of` gives, else None."""
        if settings is not self._settings:
            return None
        entry = self._entries.get(debtor_id)
        if entry is None or entry[0] is not debtor or entry[1] == NONE or as_of.toordinal() < entry[1]:
            return None
        try:
            return _decoder.decode(entry[2])
        except msgspec.DecodeError:  # a damaged entry: the replay gives the same answer, only slower
            return None
