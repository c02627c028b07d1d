"""`dunning history ID`: the audit trail of one debtor from git: who changed what, and when."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING
from typing import Annotated
from typing import Any

import typer

from dunning.cli.base import FormatOption
from dunning.cli.base import LedgerOption
from dunning.cli.base import OutputOption
from dunning.cli.base import app
from dunning.cli.base import emit
from dunning.cli.base import fail
from dunning.cli.base import open_settings
from dunning.cli.base import output_format

if TYPE_CHECKING:
    from pydantic import TypeAdapter

    from dunning.gitlog import HistoryEntry
    from dunning.model import Event
    from dunning.model import Settings


@cache
def _event_adapter() -> TypeAdapter[Event]:
    from pydantic import TypeAdapter

    from dunning.model import Event

    return TypeAdapter(Event)


def _typed(event: Any) -> Any:
    from pydantic import ValidationError

    try:
        return _event_adapter().validate_python(event)
    except ValidationError:
        return None


def _event_words(event: Any, settings: Settings, debtor: Any) -> str:
    from dunning.gitlog import event_label
    from dunning.writer import describe_event
    from dunning.writer import event_currency

    model = _typed(event)
    if model is None:
        return event_label(event)
    return f"{model.at.isoformat()} {describe_event(model, event_currency(model, debtor, settings))}"


def _event_json(event: Any) -> Any:
    from dunning.render import to_jsonable

    model = _typed(event)
    if model is None:
        return to_jsonable(event)
    return model.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True) | {
        "at": model.at.isoformat(), "type": model.type}


def _changes(entry: HistoryEntry, settings: Settings, debtor: Any) -> list[str]:
    lines = []
    if entry.created:
        lines.append(f"created {entry.path}")
    if entry.renamed_from:
        lines.append(f"renamed from {entry.renamed_from}")
    if entry.deleted:
        lines.append(f"deleted {entry.path}")
    for fact in entry.facts if not entry.created else []:
        if fact.old is None:
            lines.append(f"{fact.field} added: {fact.new}")
        elif fact.new is None:
            lines.append(f"{fact.field} removed: {fact.old}")
        else:
            lines.append(f"{fact.field}: {fact.old} -> {fact.new}")
    lines += [f"+ {_event_words(e, settings, debtor)}" for e in entry.events_added]
    lines += [f"REMOVED {_event_words(e, settings, debtor)}" for e in entry.events_removed]
    return lines or ["(layout or comments only)"]


@app.command()
def history(
    debtor_id: Annotated[str, typer.Argument(metavar="ID", help="The debtor, e.g. shenyang-heavy.")],
    ledger: LedgerOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """The audit trail of one debtor from git.

    Every commit, its author, the events it added and the facts it changed, oldest first. Facts are
    compared as data (`credit_limit: 300000.00 -> 500000.00`, `contacts[0].mobile: ... -> ...`); an
    event that disappeared is shown as REMOVED (`dunning check --history` proves that never happened).

    \b
    Example: dunning history shenyang-heavy --format md
    """
    from dunning.gitlog import GitError
    from dunning.gitlog import debtor_history
    from dunning.ledger import DEBTORS_DIR
    from dunning.ledger import LedgerErrors
    from dunning.ledger import debtor_path
    from dunning.ledger import load_debtor
    from dunning.render import Column
    from dunning.render import render

    root, settings = open_settings(ledger)
    kind = output_format(fmt, output)
    try:
        path = debtor_path(root, debtor_id)
    except LedgerErrors as errors:
        fail(errors.errors[0].message)
    try:
        entries = debtor_history(root, debtor_id)
    except GitError as problem:
        fail(str(problem))
    if not entries and not path.exists():
        fail(f"unknown debtor '{debtor_id}' (no {DEBTORS_DIR}/{debtor_id}.yaml, and none in the git history)")
    try:
        debtor = load_debtor(root, debtor_id)
    except LedgerErrors:
        debtor = None
    rows = []
    for entry in entries:
        for change in _changes(entry, settings, debtor):
            rows.append({"date": entry.when[:19].replace("T", " "), "author": entry.author,
                         "commit": entry.commit[:10], "change": change})
    document = {
        "debtor": debtor_id,
        "file": f"{DEBTORS_DIR}/{debtor_id}.yaml",
        "commits": [{
            "commit": e.commit, "author": e.author, "email": e.email, "date": e.when, "message": e.message,
            "path": e.path, "created": e.created, "deleted": e.deleted, "renamed_from": e.renamed_from,
            "events_added": [_event_json(x) for x in e.events_added],
            "events_removed": [_event_json(x) for x in e.events_removed],
            "facts": [{"field": f.field, "from": f.old, "to": f.new} for f in e.facts],
        } for e in entries],
    }
    columns = [Column("date", "date"), Column("author", "author"), Column("commit", "commit"),
               Column("change", "change")]
    emit(render(rows, columns, kind, document=document), output)
