"""Recording events: the YAML text of one event, validated against the would-be file, appended under a lock.

How a write goes (`append_event`), all under an exclusive lock on `<ledger>/.dunning/write.lock`,
so that writers on one machine take turns and none reads a file another is about to replace:

1. read the debtor file; refuse when it does not pass `check` (exit 1) or cannot be appended to;
2. validate the event (schema, then the file's cross-checks: invoices known, time order, promise
   and delivery dates not before the contact) on the would-be text: bad input changes nothing;
3. copy evidence files in (content-addressed names), then replace the file atomically: the new
   text is the old text byte for byte plus the event, written to a temporary file, fsynced and
   renamed over the old one (a killed writer leaves the old file or the new one, never half of
   one; a single O_APPEND write could leave a torn event on a crash or a full disk, and the
   `events: []` case needs one line rewritten anyway);
4. commit the debtor file and the evidence, nothing else (`dunning.gitlog.commit_paths`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter
from pydantic import ValidationError

from dunning import gitlog
from dunning.ledger import CACHE_DIR
from dunning.ledger import DEBTORS_DIR
from dunning.ledger import LedgerErrors
from dunning.ledger import debtor_path
from dunning.ledger import fsync_folder
from dunning.ledger import load_settings
from dunning.ledger import parse_debtor
from dunning.ledger import parse_yaml
from dunning.model import CONTACT_TYPES
from dunning.model import Acknowledgment
from dunning.model import ContactEvent
from dunning.model import Credit
from dunning.model import Debtor
from dunning.model import Dispute
from dunning.model import Event
from dunning.model import GuarantorDemand
from dunning.model import Legal
from dunning.model import Note
from dunning.model import Payment
from dunning.model import Plan
from dunning.model import Resolve
from dunning.model import Settings
from dunning.model import Status
from dunning.model import event_day
from dunning.model import event_instant
from dunning.model import parse_moment
from dunning.render import money_display

EVIDENCE_DIR = "evidence"
LOCK_FILE = "write.lock"

# The order keys are written in: what happened first, then the details, then references.
KEY_ORDER = ("at", "type", "by", "with", "outcome", "status", "action", "kind", "amount", "currency", "invoice",
             "summary", "reason", "promise", "installments", "signed", "demand", "delivered", "via", "tracking",
             "template", "reference", "recorded", "court", "case_no", "guarantor", "claims_deadline",
             "claim_filed", "administrator", "ref", "next_date", "next_action", "invoices", "evidence")

_EVENT = TypeAdapter(Event)


class WriteError(Exception):
    """A write refused, with the exit code: 2 bad input (nothing written), 1 the ledger is in the way."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class AppendResult:
    """What `append_event` did: the event as written, its text, the commit (None if none) and notes."""

    debtor_id: str
    path: Path
    event: dict[str, Any]
    text: str
    message: str
    commit: str | None = None
    evidence: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# the lock


@contextlib.contextmanager
def ledger_lock(root: Path) -> Iterator[None]:
    """Exclusive lock of the ledger for writers on this machine (released by the kernel if we die)."""
    folder = root / CACHE_DIR
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        with contextlib.suppress(OSError):
            ignore.write_text("# dunning's disposable cache: never tracked\n*\n", encoding="utf-8")
    with (folder / LOCK_FILE).open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------------
# YAML text of an event


def _reads_back(snippet: str, wanted: Any) -> bool:
    try:
        document = parse_yaml(snippet.encode("utf-8"), "snippet")
    except LedgerErrors:
        return False
    return isinstance(document, dict) and document.get("k") == wanted and type(document.get("k")) is str


def _double_quoted(text: str) -> str:
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or char in "\x7f\x85\u2028\u2029\ufeff" or 0xD800 <= ord(char) <= 0xDFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _needs_escape(text: str) -> bool:
    return any((ord(c) < 0x20 and c not in "\n\t") or c in "\x7f\x85\u2028\u2029\ufeff" for c in text)


def yaml_string(text: str, *, flow: bool = False, quote: bool = False) -> str:
    """A string as a YAML scalar that the ledger's loader reads back as the same string.

    Plain when safe (Chinese text stays readable), single-quoted when YAML would read it as
    something else (`'13900000000'`, `'yes'`, `'2025-04-30'`), double-quoted with escapes
    for line breaks and control characters.
    """
    if quote or "\n" in text or _needs_escape(text):
        return _double_quoted(text)
    if flow:
        dumped = yaml.safe_dump({"k": [text]}, allow_unicode=True, width=1 << 30, default_flow_style=True)
        candidate = dumped.strip()[len("{k: ["):-len("]}")]
        snippet = f"k: [{candidate}]\n"
    else:
        dumped = yaml.safe_dump({"k": text}, allow_unicode=True, width=1 << 30, default_flow_style=False)
        candidate = dumped[len("k: "):].rstrip("\n")
        snippet = f"k: {candidate}\n"
    if "\n" in candidate or candidate.startswith(("|", ">")):
        return _double_quoted(text)
    if flow:
        try:
            document = parse_yaml(snippet.encode("utf-8"), "snippet")
        except LedgerErrors:
            document = None
        ok = isinstance(document, dict) and document.get("k") == [text] and type(document["k"][0]) is str
    else:
        ok = _reads_back(snippet, text)
    if ok:
        return candidate
    return "'" + text.replace("'", "''") + "'"


def _literal_ok(text: str) -> bool:
    """A multi-line string that a literal block (`|-`) keeps exactly."""
    return ("\n" in text and not text.endswith("\n") and not text.startswith((" ", "\t")) and "\r" not in text
            and not _needs_escape(text.replace("\t", " ")) and not any(line.startswith("\t")
                                                                          for line in text.split("\n")))


def _scalar(value: Any, *, flow: bool = False, quote: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return yaml_string(value, flow=flow, quote=quote)
    raise TypeError(f"cannot write {type(value).__name__} as a YAML scalar")


def _flow_mapping(value: Mapping[str, Any], quote: bool) -> str:
    return "{" + ", ".join(f"{k}: {_scalar(v, flow=True, quote=quote)}" for k, v in value.items()
                           if v is not None) + "}"


def event_text(event: Mapping[str, Any], column: int = 2, newline: str = "\n", *, quote: bool = False) -> str:
    """One event as a block list item whose dash is at `column`: `  - at: ...` then `    type: ...`."""
    first = " " * column + "- "
    inner = " " * (column + 2)
    lines: list[str] = []
    for key, value in event.items():
        if value is None:
            continue
        prefix = first if not lines else inner
        if isinstance(value, str) and not quote and _literal_ok(value):
            lines.append(f"{prefix}{key}: |-")
            lines.extend(f"{inner}  {line}".rstrip() if not line.strip() else f"{inner}  {line}"
                         for line in value.split("\n"))
        elif isinstance(value, Mapping):
            lines.append(f"{prefix}{key}: {_flow_mapping(value, quote)}")
        elif isinstance(value, list | tuple):
            if all(not isinstance(v, Mapping | list | tuple) for v in value):
                lines.append(f"{prefix}{key}: [{', '.join(_scalar(v, flow=True, quote=quote) for v in value)}]")
            else:
                lines.append(f"{prefix}{key}:")
                lines.extend(f"{inner}  - {_flow_mapping(v, quote)}" for v in value)
        else:
            lines.append(f"{prefix}{key}: {_scalar(value, quote=quote)}")
    return newline.join(lines) + newline


def _ordered(event: Mapping[str, Any]) -> dict[str, Any]:
    known = {k: event[k] for k in KEY_ORDER if k in event and event[k] is not None}
    rest = {k: v for k, v in event.items() if k not in known and v is not None}
    return {**known, **rest}


# ---------------------------------------------------------------------------------------------
# describing an event in words (commit messages, history)


def _clip(text: str | None, width: int = 60) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def event_currency(event: Any, debtor: Debtor | None, settings: Settings) -> str:
    """The currency an event's money is in: its own, else its invoice's, else the debtor's or ledger's."""
    own = getattr(event, "currency", None)
    if own:
        return str(own)
    invoice_id = getattr(event, "invoice", None)
    if debtor is not None:
        for invoice in debtor.invoices:
            if invoice.id == invoice_id and invoice.currency:
                return invoice.currency
        if debtor.currency:
            return debtor.currency
    return settings.currency


def describe_event(event: Any, currency: str) -> str:
    """What an event says, in the words of a commit message: `call with 王建国, promise 2025-04-30 ¥50,000.00`."""
    def cash(amount: Decimal) -> str:
        return money_display(amount, currency)

    if isinstance(event, ContactEvent):
        text = event.type + (f" with {event.with_}" if event.with_ else "")
        if event.promise is not None:
            promised = money_display(event.promise.amount, event.promise.currency or currency)
            text += f", promise {event.promise.date} {promised}"
        elif event.outcome:
            text += f", {event.outcome}"
        if event.delivered:
            text += f", delivered {event.delivered}"
        if event.next_date:
            text += f", next {event.next_date}"
        return text
    if isinstance(event, Payment):
        text = cash(event.amount) + (f" to {event.invoice}" if event.invoice else "")
        return text + (f", ref {event.ref}" if event.ref else "")
    if isinstance(event, Credit):
        return f"credit {cash(event.amount)} on {event.invoice}" + (f": {_clip(event.reason)}" if event.reason else "")
    if isinstance(event, Plan):
        total = sum((i.amount for i in event.installments), Decimal(0))
        first, last = event.installments[0].due, event.installments[-1].due
        span = f"{first}" if first == last else f"{first} to {last}"
        text = f"{len(event.installments)} instalment(s), {cash(total)}, {span}"
        return text + (", signed" if event.signed else "")
    if isinstance(event, Acknowledgment):
        text = "acknowledgment" + (f" of {cash(event.amount)}" if event.amount else "")
        return text + (", signed" if event.signed else "")
    if isinstance(event, Dispute | Resolve):
        word = "dispute" if isinstance(event, Dispute) else "resolve"
        return word + (f": {_clip(event.reason)}" if event.reason else "")
    if isinstance(event, Legal):
        text = f"legal {event.action}" + (f" ({event.kind})" if event.kind else "")
        text += f" at {event.court}" if event.court else ""
        return text + (f", case {event.case_no}" if event.case_no else "")
    if isinstance(event, GuarantorDemand):
        text = f"demand to guarantor {event.guarantor}"
        return text + (f", delivered {event.delivered}" if event.delivered else "")
    if isinstance(event, Status):
        text = f"status {event.status}"
        if event.claims_deadline:
            text += f", claims deadline {event.claims_deadline}"
        return text + (f", administrator {event.administrator}" if event.administrator else "")
    if isinstance(event, Note):
        return "note" + (f": {_clip(event.summary)}" if event.summary else "")
    return str(getattr(event, "type", "event"))


def command_word(event_type: str) -> str:
    """The command that records an event type, the prefix of its commit message."""
    if event_type in CONTACT_TYPES:
        return "log"
    return {"payment": "pay", "plan": "plan"}.get(event_type, "event")


def commit_message(debtor_id: str, event: Any, currency: str) -> str:
    return f"{command_word(event.type)}({debtor_id}): {describe_event(event, currency)}"


# ---------------------------------------------------------------------------------------------
# defaults for the command line


def default_collector(root: Path, settings: Settings) -> str | None:
    """Who is recording: the git user when it matches a collector, else $DUNNING_COLLECTOR, else None."""
    name, email = gitlog.git_user(root)
    for key, display in settings.collectors.items():
        if email and (email == key or email.split("@")[0] == key):
            return key
        if name and name in (key, display):
            return key
    return os.environ.get("DUNNING_COLLECTOR") or None


# ---------------------------------------------------------------------------------------------
# checks of the new event against the file it joins


def _validated(event: Mapping[str, Any], settings: Settings) -> Any:
    data = dict(event)
    at = data.get("at")
    if isinstance(at, str):
        try:
            at = data["at"] = parse_moment(at)
        except ValueError as error:
            raise WriteError(f"at: {error}") from None
    if isinstance(at, datetime) and at.tzinfo is None:
        data["at"] = at.replace(tzinfo=settings.zone)
    try:
        model = _EVENT.validate_python(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            loc = [str(p) for p in item["loc"]]
            if loc and loc[0] == data.get("type"):
                loc = loc[1:]  # the discriminated union's tag, not a key
            where = ".".join(loc)
            message = str(item["msg"]).removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = f"'{loc[-1]}' does not belong to a {data.get('type')} event"
            problems.append(f"{where}: {message}" if where else message)
        raise WriteError("; ".join(problems)) from None
    if isinstance(model.at, datetime) and model.at.tzinfo is None:
        raise WriteError("at: a time needs a time zone")
    return model


def _cross_check(event: Any, debtor: Debtor, settings: Settings) -> None:
    """The refusals a person can act on, in their words (the file's own checks run after these)."""
    zone = settings.zone
    invoices = [i.id for i in debtor.invoices]
    have = ", ".join(invoices) or "no invoices"
    named = [*(event.invoices or []), *([event.invoice] if isinstance(event, Payment | Credit) and event.invoice
                                        else [])]
    for invoice_id in named:
        if invoice_id not in invoices:
            raise WriteError(f"unknown invoice '{invoice_id}' (this debtor has: {have})")
    if debtor.events:
        last = debtor.events[-1]
        # a date alone means that whole day: in order with any time of the same day
        day_before = event_day(event.at, zone) < event_day(last.at, zone)
        same_day_earlier = (isinstance(event.at, datetime) and isinstance(last.at, datetime)
                            and event_instant(event.at, zone) < event_instant(last.at, zone))
        if day_before or same_day_earlier:
            raise WriteError(f"the event at {event.at.isoformat()} is earlier than the last recorded event "
                             f"({last.at.isoformat()}, {last.type}): events are kept in time order and "
                             f"only appended, so record it at {last.at.isoformat()} or later and give the "
                             "real date in the summary")
    day = event_day(event.at, zone)
    if isinstance(event, ContactEvent):
        if event.promise is not None and event.promise.date < day:
            raise WriteError(f"promise date {event.promise.date} is before the contact on {day}")
        if event.delivered is not None and event.delivered < day:
            raise WriteError(f"delivered {event.delivered} is before it was sent on {day}")
        if event.next_date is not None and event.next_date < day:
            raise WriteError(f"next date {event.next_date} is before the contact on {day}")
    if isinstance(event, GuarantorDemand):
        guarantors = [g.guarantor for g in debtor.guarantees]
        if event.guarantor not in guarantors:
            raise WriteError(f"'{event.guarantor}' is not a guarantor of this debtor "
                             f"({', '.join(guarantors) or 'it has no guarantees'})")
    if event.by is not None and settings.collectors and event.by not in settings.collectors:
        raise WriteError(f"unknown collector '{event.by}' (dunning.yaml collectors: "
                         f"{', '.join(settings.collectors)})")


def _list_indent(lines: Sequence[str]) -> int:
    """The indentation of the file's own lists (`- ` at column 0 or 2), for a first event."""
    for index, line in enumerate(lines[:-1]):
        if re.match(r"^[^\s#][^:#]*:\s*(#.*)?$", line):
            following = next((x for x in lines[index + 1:] if x.strip() and not x.lstrip().startswith("#")), "")
            stripped = following.lstrip(" ")
            if stripped.startswith("- ") or stripped.rstrip() == "-":
                return len(following) - len(stripped)
    return 2


def _appended(text: str, item_for: Any) -> tuple[str, int]:
    """The would-be file: the old text plus one event item; returns it and the dash column used."""
    try:
        shape = gitlog.layout(text)
    except gitlog.LayoutError as problem:
        raise WriteError(f"cannot append to this file: {problem}", 1) from None
    newline = shape.newline
    if shape.header is not None and not shape.inline_empty:
        column = shape.column if shape.column is not None else _list_indent(shape.facts)
        separator = "" if text.endswith("\n") else newline
        return text + separator + item_for(column, newline), column
    column = _list_indent(shape.facts)
    if shape.header is None:
        separator = "" if not text or text.endswith("\n") else newline
        return text + separator + "events:" + newline + item_for(column, newline), column
    comment = shape.header.split("#", 1)[1].rstrip("\r\n") if "#" in shape.header else None
    header = "events:" + (f"  #{comment}" if comment else "") + newline
    rest = "".join(shape.lead)
    if rest and not rest.endswith("\n"):
        rest += newline
    return "".join(shape.facts) + header + rest + item_for(column, newline), column


def _facts(debtor: Debtor) -> dict[str, Any]:
    return debtor.model_dump(exclude={"events"})


def _check_written(new_text: str, relpath: str, before: Debtor, event: Any) -> Debtor:
    try:
        after = parse_debtor(new_text, relpath)
    except LedgerErrors as errors:
        raise WriteError("the event would make the file invalid: "
                         + "; ".join(e.message for e in errors.errors)) from None
    if _facts(after) != _facts(before) or after.events[:-1] != before.events or len(after.events) != len(
            before.events) + 1:
        raise WriteError("internal: the new text would change what the file says above it", 1)
    if after.events[-1] != event:
        raise _ReadsBackDifferently
    return after


class _ReadsBackDifferently(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# evidence


def safe_file_name(name: str) -> str:
    """A file name that stays in its folder and reads well: letters (any script), digits, `.`, `-`, `_`."""
    name = unicodedata.normalize("NFC", name)
    kept = "".join(c if (c.isalnum() or c in "._-") else "-" for c in name)
    kept = re.sub(r"-{2,}", "-", kept).strip(".-")
    if len(kept) > 80:
        stem, dot, suffix = kept.rpartition(".")
        kept = (stem[: 79 - len(suffix)] + "." + suffix) if dot and len(suffix) <= 10 else kept[:80]
    return kept or "file"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class _Evidence:
    source: Path
    target: Path
    relpath: str
    sha256: str
    copy: bool


def _plan_evidence(root: Path, debtor_id: str, files: Sequence[Path]) -> list[_Evidence]:
    folder = root / EVIDENCE_DIR / debtor_id
    planned = []
    for given in files:
        source = Path(given).expanduser()
        if not source.is_file():
            raise WriteError(f"--evidence: no such file: {given}")
        sha = _sha256(source)
        resolved = source.resolve()
        if resolved.parent == folder.resolve() and resolved.is_relative_to(root.resolve()):
            target, copy = resolved, False
        else:
            target, copy = folder / f"{sha[:12]}-{safe_file_name(source.name)}", True
        if not target.parent.resolve().is_relative_to(root.resolve()) or target.is_symlink():
            raise WriteError(f"--evidence: {target.parent} leads outside the ledger")
        if copy and target.exists() and _sha256(target) != sha:
            raise WriteError(f"--evidence: {target} exists with other content")
        relpath = f"{EVIDENCE_DIR}/{debtor_id}/{target.name}"
        planned.append(_Evidence(source, target, relpath, sha, copy and not target.exists()))
    return planned


def _copy_in(item: _Evidence) -> None:
    item.target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{item.target.name}.", suffix=".tmp", dir=item.target.parent)
    try:
        with os.fdopen(handle, "wb") as out, item.source.open("rb") as source:
            shutil.copyfileobj(source, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).chmod(0o644)
        Path(temporary).replace(item.target)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise


# ---------------------------------------------------------------------------------------------
# writing the file


def _replace(path: Path, data: bytes) -> None:
    """Replace a file with new bytes atomically, keeping its permissions."""
    mode = path.stat().st_mode & 0o7777
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.chmod(mode)
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    fsync_folder(path.parent)


_TEMPORARY = re.compile(r"\.[a-z0-9][a-z0-9-]*\.yaml\.\d+\.tmp")


def _remove_stale_temporaries(folder: Path) -> None:
    """Temporary files that writers killed mid-write left in debtors/, whichever debtor they were writing.

    Only `_replace` makes `.<id>.yaml.<pid>.tmp`, and only under the lock: under the lock, every one
    found is a killed writer's. Left alone they would sit in `git status` until that debtor's next write.
    """
    for stale in folder.glob(".*.tmp"):
        if _TEMPORARY.fullmatch(stale.name):
            with contextlib.suppress(OSError):
                stale.unlink()


def append_event(root: Path, debtor_id: str, event: Mapping[str, Any], *, commit: bool = True,
                 message: str | None = None, extra_files: Sequence[Path] = (),
                 evidence: Sequence[Path] = ()) -> AppendResult:
    """Append one event to `debtors/<debtor_id>.yaml`, validated, atomically, and commit it.

    `event` uses the file's keys (`with`, not `with_`); values may be text or typed (Decimal,
    date, aware datetime). `at` defaults to now in the ledger's time zone; `by` is written only
    when given (see `default_collector`). `evidence` files are copied to `evidence/<id>/` and
    recorded with their sha256; `extra_files` (say a letter) go into the same commit.

    Raises WriteError (code 2: the event is refused, code 1: the file is in the way) or
    LedgerErrors (the debtor file or dunning.yaml does not pass check). Nothing is written then.
    """
    try:
        path = debtor_path(root, debtor_id)
    except LedgerErrors as errors:
        raise WriteError(errors.errors[0].message) from None
    relpath = f"{DEBTORS_DIR}/{debtor_id}.yaml"
    if not path.is_file() or path.is_symlink():
        raise WriteError(f"unknown debtor '{debtor_id}' (no {relpath})")
    settings = load_settings(root)
    data = dict(event)
    notes: list[str] = []
    with ledger_lock(root):
        # "now" is read under the lock: a writer that waited for another must not come out earlier
        data.setdefault("at", datetime.now(settings.zone).replace(microsecond=0))
        before_bytes = path.read_bytes()
        before = parse_debtor(before_bytes, relpath)
        from dunning.checks import validate_debtor

        existing = [e for e in validate_debtor(root, settings, debtor_id, before) if e.severity == "error"]
        if existing:
            raise LedgerErrors(existing)
        planned = _plan_evidence(root, debtor_id, evidence)
        if planned:
            data["evidence"] = [*(data.get("evidence") or []),
                                *({"path": p.relpath, "sha256": p.sha256} for p in planned)]
        model = _validated(data, settings)
        _cross_check(model, before, settings)
        dumped = model.model_dump(mode="python", by_alias=True, exclude_unset=True, exclude_none=True)
        written = _ordered(dumped)
        text = before_bytes.decode("utf-8")
        new_text, after = _compose(text, written, relpath, before, model)
        own = f"events[{len(before.events)}]"
        for problem in validate_debtor(root, settings, debtor_id, after, evidence=False):
            if problem.severity == "error":
                raise WriteError(f"the event would not pass check: {problem.message}")
            if problem.message.startswith(own):
                notes.append(f"warning: {problem.message}")
        currency = event_currency(model, before, settings)
        subject = message or commit_message(debtor_id, model, currency)
        repository = gitlog.repository_top(root) if commit else None
        body = _uncommitted_note(root, relpath, text, after) if repository is not None else ""
        created = []
        try:
            for item in planned:
                if item.copy:
                    _copy_in(item)
                    created.append(item.target)
            if path.read_bytes() != before_bytes:
                raise WriteError(f"{relpath} changed while the event was being written (another program "
                                 "edited it); nothing written: run the command again", 1)
            _remove_stale_temporaries(path.parent)
            _replace(path, new_text.encode("utf-8"))
        except BaseException:
            for target in created:
                with contextlib.suppress(OSError):
                    target.unlink()
            raise
        result = AppendResult(debtor_id, path, written, new_text[len(text):] if new_text.startswith(text)
                              else new_text, subject, evidence=[p.target for p in planned], notes=notes)
        if commit and repository is None:
            notes.append("the ledger is not in a git repository: the event is written but not committed")
        elif repository is not None:
            files = [path, *result.evidence]
            for extra in (Path(f) for f in extra_files):
                if (extra if extra.is_absolute() else root / extra).resolve().is_relative_to(root.resolve()):
                    files.append(extra)
                else:
                    notes.append(f"{extra} is outside the ledger: not committed")
            try:
                result.commit = gitlog.commit_paths(root, files, subject + body)
            except gitlog.GitError as problem:
                notes.append(f"the event is written but not committed: git says: {problem}")
    return result


def _compose(text: str, written: dict[str, Any], relpath: str, before: Debtor, model: Any) -> tuple[str, Debtor]:
    """The would-be text, checked by reading it back with the ledger's own loader."""
    problem = WriteError("the event does not read back as written; nothing written")
    for quote in (False, True):  # plain where safe; else every string double-quoted
        new_text, _column = _appended(text, lambda column, newline, q=quote: event_text(written, column, newline,
                                                                                           quote=q))
        try:
            return new_text, _check_written(new_text, relpath, before, model)
        except _ReadsBackDifferently:
            continue
        except WriteError as refused:
            problem = refused
    raise problem


def _uncommitted_note(root: Path, relpath: str, text: str, after: Debtor) -> str:
    """Refuse to commit over uncommitted edits of recorded events; mention other uncommitted lines."""
    committed = gitlog.head_text(root, relpath)
    if committed is None or committed == text:
        return ""
    old = gitlog.events_in(committed)
    new = gitlog.events_in(text)
    if old is not None and new is not None:
        lost = gitlog.first_lost_event(old, new)
        if lost is not None:
            raise WriteError(f"{relpath} has uncommitted edits to recorded events (events[{lost}]: "
                             f"{gitlog.event_label(old[lost])}); nothing written. Restore them "
                             f"(`git checkout -- {relpath}`) or commit them deliberately first, or use --no-commit", 1)
    return f"\n\nAlso commits earlier uncommitted changes to {relpath}."
