"""The ledger format v1: pydantic models of `dunning.yaml` and of a debtor file, nothing else."""

from __future__ import annotations

import itertools
import re
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import Decimal
from decimal import InvalidOperation
from typing import Annotated
from typing import Any
from typing import Literal
from typing import Union
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from pydantic import AfterValidator
from pydantic import BaseModel
from pydantic import BeforeValidator
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ModelWrapValidatorHandler
from pydantic import field_validator
from pydantic import model_validator

# the metaclass of every model (not exported by pydantic): records answer its isinstance test
from pydantic._internal._model_construction import ModelMetaclass

FORMAT_VERSION = 1

# ---------------------------------------------------------------------------------------------
# Scalars


CENT = Decimal("0.01")
_MAX_MONEY = Decimal("1e15")
_EXACT_FLOAT = 1e13  # cents are exact in a float below this; the exact loader reads the rest


def _shown(value: Any) -> str:
    return f"'{value}'" if isinstance(value, Decimal | float | int) else repr(value)


def parse_money(value: Any) -> Decimal:
    """An exact amount with at most two decimals, from YAML text, an int, an exact Decimal or a float.

    The loader only hands over floats whose literal has at most 15 significant digits (see
    `dunning.ledger`), for which `repr` gives back the exact literal; anything longer is read
    by the exact loader as a Decimal.
    """
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {_shown(value)}")
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        if not abs(value) < _EXACT_FLOAT:  # its literal may have had digits a float cannot hold
            raise ValueError(f"amount too long to read as a float: {_shown(value)}")
        amount = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"not an amount: {_shown(value)}") from None
    else:
        raise ValueError(f"not an amount: {_shown(value)}")
    if not amount.is_finite():
        raise ValueError(f"not an amount: {_shown(value)}")
    if abs(amount) >= _MAX_MONEY:
        raise ValueError(f"amount too large: {_shown(value)}")
    if amount != amount.quantize(CENT):
        raise ValueError(f"amount has more than 2 decimals: {_shown(value)}")
    return amount.quantize(CENT)


def _positive(amount: Decimal) -> Decimal:
    if amount <= 0:
        raise ValueError(f"must be greater than 0, got {amount}")
    return amount


def _non_negative(amount: Decimal) -> Decimal:
    if amount < 0:
        raise ValueError(f"must not be negative, got {amount}")
    return amount


Money = Annotated[Decimal, BeforeValidator(parse_money)]
PositiveMoney = Annotated[Decimal, BeforeValidator(parse_money), AfterValidator(_positive)]
NonNegativeMoney = Annotated[Decimal, BeforeValidator(parse_money), AfterValidator(_non_negative)]


# The dates a ledger and the command options may hold. Wider than any receivable's, narrow enough
# that every date the tool derives from them (due dates up to 3,650 days on, limitation periods of
# up to 20 years, months counted back in reports, a time zone's shift of a day) stays a date: year 1
# or 9999 made those overflow into a traceback.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)


def _in_range(day: date, shown: str) -> None:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{shown} is out of range ({FIRST_DAY} to {LAST_DAY})")


def parse_date(value: Any) -> date:
    """An ISO calendar date (`2025-03-31`) from 1900 to 2999; a datetime or anything else is an error."""
    if isinstance(value, datetime):
        raise ValueError(f"not a date (a date has no time): '{value.isoformat()}'")
    if isinstance(value, date):
        _in_range(value, value.isoformat())
        return value
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            try:
                day = date.fromisoformat(text)
            except ValueError:
                pass
            else:
                _in_range(day, text)
                return day
    raise ValueError(f"not a date: {value!r}")


def parse_moment(value: Any) -> date | datetime:
    """An event's `at`: an ISO date or date-time (with or without an offset), from 1900 to 2999."""
    if isinstance(value, datetime):
        _in_range(value.date(), value.isoformat())
        return value
    if isinstance(value, date):
        return parse_date(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return parse_date(text)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", text):
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                pass
            else:
                _in_range(moment.date(), text)
                return moment
    raise ValueError(f"not a date or date-time: {value!r}")


IsoDate = Annotated[date, BeforeValidator(parse_date)]
Moment = Annotated[date | datetime, BeforeValidator(parse_moment)]

SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z); the last is a check character.
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """The check character of a unified social credit code (GB 32100-2015, mod 31)."""
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def credit_code_shape(code: str) -> str:
    """18 characters of the GB 32100-2015 alphabet (what a file must hold; the check character is
    verified by `dunning check` as a warning: a typo in it must not stop collecting the debt)."""
    code = code.strip().upper()
    if len(code) != 18:
        raise ValueError(f"a unified social credit code has 18 characters, got {len(code)}: '{code}'")
    bad = [c for c in code if c not in _USCC_ALPHABET]
    if bad:
        raise ValueError(f"character '{bad[0]}' is not allowed in a unified social credit code: '{code}'")
    return code


def credit_code_mismatch(code: str) -> str | None:
    """The complaint about a well-shaped code whose check character is wrong, else None."""
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return f"check character of '{code}' should be '{expected}' (GB 32100-2015)"
    return None


def validate_credit_code(code: str) -> str:
    """A code typed or imported now: shape and check character (a wrong one is refused)."""
    code = credit_code_shape(code)
    problem = credit_code_mismatch(code)
    if problem:
        raise ValueError(problem)
    return code


def _hours(value: str) -> str:
    match = re.fullmatch(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})", value.strip())
    if not match:
        raise ValueError(f"not a time range HH:MM-HH:MM: '{value}'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h1, m1) >= (h2, m2):
        raise ValueError(f"not a time range HH:MM-HH:MM: '{value}'")
    return value.strip()


def hours_range(value: str) -> tuple[time, time]:
    """`"09:00-11:00"` as two times; `24:00` is read as the end of the day."""
    start, end = value.split("-")
    h2, m2 = (int(x) for x in end.split(":"))
    end_time = time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
    return time.fromisoformat(start), end_time


HoursRange = Annotated[str, AfterValidator(_hours)]


def zone_name(value: str) -> str:
    """An IANA time zone name that this system knows (`Asia/Shanghai`, `Europe/Berlin`)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone: '{value}'") from None
    return value


ZoneName = Annotated[str, AfterValidator(zone_name)]


def currency_code(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError(f"not an ISO 4217 currency code: '{value}'")
    return value


# What may never be in a name: C0 and C1 control characters (ESC starts a terminal command, BEL and
# CR rewrite what is shown) and the bidi embeddings, overrides and isolates that reorder text on
# screen ("Co\u202egnp.exe" reads "Coexe.png"). Free text may also hold line breaks and tabs.
_NOT_IN_NAMES = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NOT_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _refuse_hazards(value: str, hazards: re.Pattern[str], where: str) -> str:
    found = hazards.search(value)
    if found is not None:
        char = found.group()
        kind = "bidirectional control" if char >= "\u202a" else "control character"
        raise ValueError(f"{kind} U+{ord(char):04X} is not allowed in {where}")
    return value


def plain_name(value: str) -> str:
    """A name (of a debtor, contact, guarantor, creditor, collector): no control or bidi character."""
    return _refuse_hazards(value, _NOT_IN_NAMES, "a name")


def plain_text(value: str) -> str:
    """Free text (summary, note, reason...): line breaks and tabs, no other control or bidi character."""
    return _refuse_hazards(value, _NOT_IN_TEXT, "text (line breaks and tabs are)")


Name = Annotated[str, AfterValidator(plain_name)]
Text = Annotated[str, AfterValidator(plain_text)]


# The run-time records of loaded debtors (dunning.records) and the model each stands for.
RECORD_MODELS: dict[type, type[BaseModel]] = {}


class _Recorded(ModelMetaclass):
    """`isinstance(x, Payment)` holds for a Payment record too: the commands need not know which."""

    def __instancecheck__(cls, instance: Any) -> bool:
        model = RECORD_MODELS.get(type(instance))
        if model is not None:
            return issubclass(model, cls)
        return type.__instancecheck__(cls, instance)


def _unrecorded(value: Any) -> Any:
    """A record as the model it stands for; anything else as it is."""
    if type(value) not in RECORD_MODELS:
        return value
    from dunning.records import as_model  # records import this module

    return as_model(value)


class Strict(BaseModel, metaclass=_Recorded):
    """Unknown keys are errors: a typo such as `ammount:` must not pass silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def __eq__(self, other: object) -> bool:
        return super().__eq__(_unrecorded(other))  # a record equals the model it was made from

    # (no __hash__ here: pydantic gives each frozen model its hash of the field values; a record's
    # is the same, dunning.records._hash)

    @model_validator(mode="wrap")
    @classmethod
    def _record_as_model(cls, value: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        """A record given to a model (`Debtor(invoices=loaded.invoices)`) becomes the model it stands
        for: pydantic would otherwise keep the record itself, which it cannot dump."""
        return handler(_unrecorded(value))


# ---------------------------------------------------------------------------------------------
# dunning.yaml


class Bank(Strict):
    name: str
    account: str
    swift: str | None = None
    holder: str | None = None


class Creditor(Strict):
    name: Name
    name_en: Name | None = None
    department: str = "财务部"
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    bank: Bank | None = None
    credit_code: Annotated[str, AfterValidator(credit_code_shape)] | None = None
    website: str | None = None


class Smtp(Strict):
    """Outgoing mail for `dunning letter --send`; the password is read from $DUNNING_SMTP_PASSWORD."""

    host: str
    port: int = 587
    user: str | None = None
    starttls: bool = True
    sender: str | None = None


class AgendaRules(Strict):
    """How often each bucket must be contacted, and how many contacts a day a debtor may receive."""

    no_contact_days: dict[str, int] = Field(default_factory=lambda: {"C": 7, "B": 14, "A": 30})
    max_contacts_per_day: int = Field(default=3, ge=1)
    # None: no weekly cap. Counted over the 7 days ending on the day, like the daily cap (letters aside).
    max_contacts_per_week: int | None = Field(default=None, ge=1)
    # The length of one call slot of the agenda in the call window.
    call_minutes: int = Field(default=10, ge=1, le=240)


class Settings(Strict):
    format: Literal[1]
    creditor: Creditor
    currency: str = "CNY"
    jurisdiction: str = "CN"
    language: Literal["zh", "en"] = "zh"
    timezone: str = "Asia/Shanghai"
    buckets: dict[str, int | None] = Field(default_factory=lambda: {"A": 30, "B": 60, "C": None})
    call_window: HoursRange = "09:00-11:00"
    contact_hours: HoursRange = "08:00-21:00"
    warn_days: int = Field(default=90, ge=0)
    collectors: dict[str, Name] = Field(default_factory=dict)
    agenda: AgendaRules = Field(default_factory=AgendaRules)
    smtp: Smtp | None = None
    forbidden_words: list[str] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return zone_name(value)

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        return currency_code(value)

    @field_validator("buckets")
    @classmethod
    def _buckets_ascend(cls, value: dict[str, int | None]) -> dict[str, int | None]:
        if not value:
            raise ValueError("at least one bucket is needed")
        if "current" in value:
            raise ValueError("'current' is reserved for what is not yet overdue")
        bounds = list(value.values())
        if bounds[-1] is not None:
            raise ValueError("the last bucket must be open-ended (null)")
        previous = 0
        for name, bound in list(value.items())[:-1]:
            if bound is None or bound <= previous:
                raise ValueError(f"bucket {name}: upper bounds must increase, got {bound}")
            previous = bound
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# ---------------------------------------------------------------------------------------------
# debtors/<id>.yaml: facts


class Contact(Strict):
    name: Name
    role: str | None = None
    decision_maker: bool = False
    phone: str | None = None
    mobile: str | None = None
    wechat: str | None = None
    email: str | None = None
    address: str | None = None
    note: Text | None = None


class Guarantee(Strict):
    guarantor: Name
    kind: Literal["joint", "general"]
    period_months: int = Field(default=6, ge=1, le=36)
    invoices: list[str] | None = None
    contact: str | None = None
    address: str | None = None
    signed: IsoDate | None = None


Currency = Annotated[str, AfterValidator(currency_code)]


class Invoice(Strict):
    id: str
    contract: str | None = None
    issued: IsoDate
    due: IsoDate | None = None
    amount: PositiveMoney
    currency: Currency | None = None
    performed: IsoDate | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _due_after_issue(self) -> Invoice:
        if self.due is not None and self.due < self.issued:
            raise ValueError(f"due {self.due} is before issued {self.issued}")
        return self


# ---------------------------------------------------------------------------------------------
# events


class EvidenceRef(Strict):
    path: str
    sha256: str | None = None


def _evidence_item(value: Any) -> Any:
    return {"path": value} if isinstance(value, str) else value


Evidence = Annotated[EvidenceRef, BeforeValidator(_evidence_item)]


class EventBase(Strict):
    at: Moment
    by: str | None = None
    summary: Text | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    invoices: list[str] | None = None


class Promise(Strict):
    date: IsoDate
    amount: PositiveMoney
    currency: Currency | None = None


Outcome = Literal["reached", "no_answer", "refused", "promise", "dispute", "wrong_contact", "left_message"]
Via = Literal["registered_mail", "courier", "hand", "email", "ems", "fax", "wechat", "sms"]
CONTACT_TYPES = ("call", "visit", "wechat", "sms", "email", "letter")
WRITTEN_TYPES = ("wechat", "sms", "email", "letter")


class ContactEvent(EventBase):
    type: Literal["call", "visit", "wechat", "sms", "email", "letter"]
    with_: Name | None = Field(default=None, alias="with")
    outcome: Outcome | None = None
    promise: Promise | None = None
    demand: bool | None = None
    delivered: IsoDate | None = None
    via: Via | None = None
    tracking: str | None = None
    template: str | None = None
    reference: str | None = None
    recorded: bool = False
    next_date: IsoDate | None = None
    next_action: Text | None = None

    model_config = ConfigDict(populate_by_name=True)

    @property
    def is_demand(self) -> bool:
        """Payment was demanded; letters and emails are demands unless said otherwise."""
        if self.demand is not None:
            return self.demand
        return self.type in ("letter", "email")

    @property
    def provable(self) -> bool:
        """A written message is its own proof; a call or visit needs a recording or evidence."""
        return self.type in WRITTEN_TYPES or self.recorded or bool(self.evidence)


class Payment(EventBase):
    type: Literal["payment"]
    amount: PositiveMoney
    currency: Currency | None = None
    invoice: str | None = None
    ref: str | None = None


class Credit(EventBase):
    type: Literal["credit"]
    amount: PositiveMoney
    invoice: str
    reason: Text | None = None


class Installment(Strict):
    due: IsoDate
    amount: PositiveMoney


class Plan(EventBase):
    type: Literal["plan"]
    installments: list[Installment] = Field(min_length=1)
    signed: bool = False
    currency: Currency | None = None

    @field_validator("installments")
    @classmethod
    def _in_order(cls, value: list[Installment]) -> list[Installment]:
        for before, after in itertools.pairwise(value):
            if after.due < before.due:
                raise ValueError(f"installments out of date order: {after.due} after {before.due}")
        return value


class Acknowledgment(EventBase):
    type: Literal["acknowledgment"]
    amount: PositiveMoney | None = None
    signed: bool = False


class Dispute(EventBase):
    type: Literal["dispute"]
    reason: Text | None = None


class Resolve(EventBase):
    type: Literal["resolve"]
    reason: Text | None = None


class Legal(EventBase):
    type: Literal["legal"]
    action: Literal["filed", "judgment", "concluded"]
    court: str | None = None
    case_no: str | None = None
    kind: Literal["suit", "arbitration", "payment_order"] | None = None


class GuarantorDemand(EventBase):
    type: Literal["guarantor_demand"]
    guarantor: Name
    delivered: IsoDate | None = None
    via: Via | None = None
    tracking: str | None = None


DebtorStatus = Literal["active", "hold", "bankrupt", "deregistered", "closed", "written_off"]


class Status(EventBase):
    type: Literal["status"]
    status: DebtorStatus
    claims_deadline: IsoDate | None = None
    administrator: str | None = None
    claim_filed: IsoDate | None = None


class Note(EventBase):
    type: Literal["note"]


Event = Annotated[
    Union[  # noqa: UP007 - a discriminated union reads better spelled out
        ContactEvent,
        Payment,
        Credit,
        Plan,
        Acknowledgment,
        Dispute,
        Resolve,
        Legal,
        GuarantorDemand,
        Status,
        Note,
    ],
    Field(discriminator="type"),
]

EVENT_TYPES = (*CONTACT_TYPES, "payment", "credit", "plan", "acknowledgment", "dispute", "resolve",
               "legal", "guarantor_demand", "status", "note")


class Debtor(Strict):
    name: Name
    name_en: Name | None = None
    credit_code: Annotated[str, AfterValidator(credit_code_shape)] | None = None
    industry: str | None = None
    region: str | None = None
    address: str | None = None
    collector: str | None = None
    jurisdiction: str | None = None
    # The debtor's local time (a debtor abroad): its call window and contact hours are read in it.
    timezone: ZoneName | None = None
    currency: Currency | None = None
    terms_days: int | None = Field(default=None, ge=0, le=3650)
    credit_limit: NonNegativeMoney | None = None
    contacts: list[Contact] = Field(default_factory=list)
    guarantees: list[Guarantee] = Field(default_factory=list)
    invoices: list[Invoice] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)

    @model_validator(mode="after")
    def _due_dates_known(self) -> Debtor:
        if self.terms_days is None:
            for index, invoice in enumerate(self.invoices):
                if invoice.due is None:
                    raise ValueError(
                        f"invoices[{index}] ({invoice.id}) has no due date and the debtor no terms_days"
                    )
        return self


def due_date(debtor: Debtor, invoice: Invoice) -> date:
    """An invoice's due date: its own, else issued + the debtor's terms_days."""
    if invoice.due is not None:
        return invoice.due
    return invoice.issued + timedelta(days=debtor.terms_days or 0)


def event_day(at: date | datetime, zone: ZoneInfo) -> date:
    """The calendar day an event happened on, in the ledger's time zone."""
    if isinstance(at, datetime):
        if at.tzinfo is None:
            return at.date()
        return at.astimezone(zone).date()
    return at


def debtor_zone(debtor: Debtor, settings: Settings) -> ZoneInfo:
    """The debtor's local time zone: its own `timezone`, else the ledger's."""
    return ZoneInfo(debtor.timezone) if debtor.timezone is not None else settings.zone


def local_time(at: datetime, ledger_zone: ZoneInfo, zone: ZoneInfo) -> datetime:
    """A contact's time as the debtor saw it; a time without an offset is read in the ledger's zone."""
    return (at if at.tzinfo is not None else at.replace(tzinfo=ledger_zone)).astimezone(zone)


def local_day(at: date | datetime, ledger_zone: ZoneInfo, zone: ZoneInfo) -> date:
    """The calendar day an event happened on in the debtor's zone; a bare date is that day everywhere."""
    return local_time(at, ledger_zone, zone).date() if isinstance(at, datetime) else at


def event_instant(at: date | datetime, zone: ZoneInfo) -> datetime:
    """An aware datetime for ordering events; a bare date is the start of that day in the zone."""
    if isinstance(at, datetime):
        return at if at.tzinfo is not None else at.replace(tzinfo=zone)
    return datetime(at.year, at.month, at.day, tzinfo=zone)
