"""`dunning letter ID`: draft the next letter to a debtor as Markdown, HTML, PDF or an email draft."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from datetime import date
from datetime import datetime
from decimal import Decimal
from decimal import InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Annotated
from typing import Any
from typing import get_args

import typer

from dunning.cli.base import EXIT_LEDGER
from dunning.cli.base import AsOfOption
from dunning.cli.base import LedgerOption
from dunning.cli.base import app
from dunning.cli.base import as_of_date
from dunning.cli.base import fail
from dunning.cli.base import fail_with
from dunning.cli.base import now
from dunning.cli.base import open_settings
from dunning.cli.base import option_date
from dunning.cli.base import require_rules
from dunning.cli.base import today

if TYPE_CHECKING:
    from dunning.letters import Letter
    from dunning.letters import Templates
    from dunning.model import Debtor
    from dunning.model import Settings

LETTER_FORMATS = ("md", "html", "pdf", "eml")
LETTERS_DIR = "letters"


def _format(fmt: str | None, output: Path | None, send: bool) -> str:
    if fmt is not None:
        if fmt not in LETTER_FORMATS:
            fail(f"--format: '{fmt}' is not one of {', '.join(LETTER_FORMATS)}")
        if send and fmt != "eml":
            fail("--send sends an email: use --format eml (or leave --format out)")
        return fmt
    if send:
        return "eml"
    if output is not None and str(output) != "-":
        suffix = output.suffix.lower().lstrip(".")
        if suffix in LETTER_FORMATS:
            return suffix
        if suffix in ("markdown", "htm"):
            return "md" if suffix == "markdown" else "html"
        if suffix:
            fail(f"-o {output}: cannot tell the format from '{output.suffix}': use .md, .html, .pdf or .eml, "
                 "or give --format")
    return "pdf"


def _interest(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        rate = Decimal(value.strip().rstrip("%"))
    except InvalidOperation:
        fail(f"--interest-rate: not a percentage: '{value}' (e.g. 3.45 for 3.45% a year)")
    if not rate.is_finite() or rate <= 0 or rate >= 100:
        fail(f"--interest-rate: must be between 0 and 100 (percent a year), got {value}")
    return rate


def _debtor(root: Path, settings: Settings, debtor_id: str) -> Debtor:
    """One debtor that passes check; an unknown id is bad input (2), a broken file a ledger error (1)."""
    from dunning.checks import validate_debtor
    from dunning.ledger import DEBTORS_DIR
    from dunning.ledger import LedgerErrors
    from dunning.ledger import load_debtor

    try:
        debtor = load_debtor(root, debtor_id)
    except LedgerErrors as errors:
        message = errors.errors[0].message
        if message.startswith(("unknown debtor", "not a debtor id")):
            fail(message)
        typer.echo(f"dunning: error: {DEBTORS_DIR}/{debtor_id}.yaml does not pass `dunning check`:", err=True)
        fail_with(errors)
    problems = [e for e in validate_debtor(root, settings, debtor_id, debtor, evidence=False)
                if e.severity == "error"]
    if problems:
        typer.echo(f"dunning: error: {DEBTORS_DIR}/{debtor_id}.yaml does not pass `dunning check`:", err=True)
        fail_with(LedgerErrors(problems))
    return debtor


def _email_text(letter: Letter, markdown: str) -> str:
    attention = letter.context["attention"]
    name = attention["name"] if attention else letter.addressee
    if letter.lang == "zh":
        cover = f"{name}：\n\n您好！附件为我司《{letter.title}》（编号：{letter.reference}），请查收。正文如下。\n\n"
    else:
        cover = (f"Dear {name},\n\nPlease find attached our {letter.title} (reference {letter.reference}). "
                 "Its text follows.\n\n")
    return cover + markdown


def _subject(letter: Letter) -> str:
    creditor = letter.context["creditor"]["display_name"]
    if letter.lang == "zh":
        return f"{letter.title}（编号：{letter.reference}）- {creditor}"
    return f"{letter.title} (ref. {letter.reference}) - {creditor}"


def _render(letter: Letter, templates: Templates, fmt: str, settings: Settings, *, to: str | None,
            when: datetime, send: bool) -> tuple[bytes, Any]:
    """The letter's bytes in `fmt`, and the email message for eml."""
    from dunning.letters import LetterError
    from dunning.pdf import PdfUnavailable
    from dunning.pdf import html_to_pdf

    try:
        if fmt == "md":
            return templates.markdown(letter).encode("utf-8"), None
        html = templates.html(letter)
        if fmt == "html":
            return html.encode("utf-8"), None
        try:
            pdf = html_to_pdf(html)
        except PdfUnavailable as missing:
            fail(f"cannot write a PDF: {missing.message}")
        if fmt == "pdf":
            return pdf, None
        return _email(letter, templates, settings, pdf, to=to, when=when, send=send)
    except LetterError as error:
        fail(error.message, error.code)


def _email(letter: Letter, templates: Templates, settings: Settings, pdf: bytes, *, to: str | None,
           when: datetime, send: bool) -> tuple[bytes, Any]:
    from dunning.mail import MailError
    from dunning.mail import as_bytes
    from dunning.mail import draft

    recipient = to or letter.email
    assert recipient is not None  # checked before rendering
    creditor = settings.creditor
    sender = (settings.smtp.sender if send and settings.smtp and settings.smtp.sender else creditor.email)
    if not sender:
        fail("no sender address: set creditor.email in dunning.yaml")
    attention = letter.context["attention"]
    try:
        message = draft(sender=sender, sender_name=letter.context["creditor"]["display_name"], recipient=recipient,
                        recipient_name=attention["name"] if attention and not to else None,
                        subject=_subject(letter), text=_email_text(letter, templates.markdown(letter)),
                        attachment=pdf, filename=f"{letter.reference}.pdf", when=when, unsent=not send)
    except MailError as error:
        fail(error.message)
    return as_bytes(message), message


def _record(root: Path, settings: Settings, letter: Letter, *, via: str, by: str | None, at: date | None,
            files: list[Path], no_commit: bool, undo: Callable[[], None], sent: bool) -> str:
    """Append the letter's event and return the line that says so; `at` None lets the writer stamp
    "now" under its lock (an earlier clock reading, taken before the letter was rendered, could lose
    the race and be refused). The writer validates the event only under its lock, after the letter
    file had to exist for the commit: when it refuses, `undo` takes the letter back, so that a
    refused command leaves nothing written (unless it was sent: then the file is the copy of what went)."""
    from dunning.ledger import LedgerErrors
    from dunning.render import money_display
    from dunning.writer import WriteError
    from dunning.writer import append_event
    from dunning.writer import default_collector

    totals = "、".join(money_display(t["amount"], t["currency"]) for t in letter.context["totals"]) or "—"
    summary = f"{letter.title} {letter.reference}: {totals}"
    event: dict[str, Any] = {} if at is None else {"at": at}
    if letter.template == "guarantor":
        event.update({"type": "guarantor_demand", "guarantor": letter.addressee, "via": via, "summary": summary})
        if letter.chased:
            event["invoices"] = letter.chased
    else:
        attention = letter.context["attention"]
        event.update({"type": "letter", "via": via, "template": letter.template, "reference": letter.reference,
                      "demand": letter.demand, "summary": summary})
        if attention:
            event["with"] = attention["name"]
        if letter.chased:
            event["invoices"] = letter.chased
    collector = by if by is not None else default_collector(root, settings)
    if collector:
        event["by"] = collector
    kind = "guarantor_demand" if letter.template == "guarantor" else "letter"
    message = f"letter({letter.debtor_id}): {letter.title} {letter.reference} by {via}"
    lead = "the letter is sent but not recorded" if sent else "nothing written, the letter is not recorded"
    try:
        result = append_event(root, letter.debtor_id, event, commit=not no_commit, message=message,
                              extra_files=files)
    except WriteError as refused:
        if not sent:
            undo()
        fail(f"{lead}: {refused.message}", refused.code)
    except LedgerErrors as errors:
        if not sent:
            undo()
        typer.echo(f"dunning: error: {lead}: the debtor file does not pass `dunning check`:", err=True)
        fail_with(errors, EXIT_LEDGER)
    for note in result.notes:
        typer.echo(f"dunning: {note}", err=True)
    committed = f" [{result.commit[:10]}]" if result.commit else ""
    return f"recorded a {kind} event: {result.message}{committed}"


def _write_letter(target: Path, data: bytes) -> Callable[[], None]:
    """Write the letter atomically; return what takes it back: the file (or link) as it was before, a
    letter drafted again the same day, else no file and none of the folders made for it."""
    from dunning.ledger import atomic_write

    link = target.readlink() if target.is_symlink() else None
    previous = target.read_bytes() if link is None and target.is_file() else None
    made = []
    for folder in (target.parent, *target.parent.parents):
        if folder.exists():
            break
        made.append(folder)

    def remove_folders() -> None:
        for folder in made:  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()

    def undo() -> None:
        with contextlib.suppress(OSError):
            if previous is not None:
                atomic_write(target, previous)
            else:
                target.unlink()
                if link is not None:
                    target.symlink_to(link)
        remove_folders()

    try:
        atomic_write(target, data)
    except OSError as error:
        remove_folders()
        fail(f"{target}: cannot write: {error.strerror}")
    return undo


def _nothing() -> None:
    """Nothing to take back (a letter printed to the terminal)."""


@app.command()
def letter(
    debtor_id: Annotated[str, typer.Argument(metavar="ID", help="The debtor, e.g. shenyang-heavy.")],
    template: Annotated[str, typer.Option(
        "--template", "-t", help="auto (the escalation ladder), reminder, demand, final, lawyer, plan, "
        "acknowledgment, guarantor, claim, statement, or a template of the ledger's own.")] = "auto",
    lang: Annotated[str | None, typer.Option("--lang", help="zh or en (default: language in dunning.yaml).")] = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", help="md, html, pdf or eml (default: from -o, else pdf).")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write here ('-' for stdout, md and html only); default "
        "letters/ID/DATE-TEMPLATE.EXT in the ledger.")] = None,
    record: Annotated[bool, typer.Option(
        "--record", help="Append a `letter` event (a `guarantor_demand` for the guarantor letter) and commit "
        "it with the letter.")] = False,
    send: Annotated[bool, typer.Option(
        "--send", help="Send the email through `smtp:` of dunning.yaml ($DUNNING_SMTP_PASSWORD).")] = False,
    to: Annotated[str | None, typer.Option("--to", help="Email address (default: the decision maker's).")] = None,
    via: Annotated[str | None, typer.Option(
        "--via", help="How it is sent, for --record: registered_mail (default; email for eml), courier, hand, "
        "ems, fax...")] = None,
    as_of: AsOfOption = None,
    pay_by: Annotated[str | None, typer.Option(
        "--pay-by", help="Date to pay by, YYYY-MM-DD (default: per template, e.g. 7 days for a demand).")] = None,
    guarantor: Annotated[str | None, typer.Option(
        "--guarantor", help="The guarantor, for --template guarantor when there are several.")] = None,
    interest_rate: Annotated[str | None, typer.Option(
        "--interest-rate", help="Annual simple interest in percent for --template claim, e.g. 3.45 "
        "(default: principal only).")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Collector key for --record.")] = None,
    no_commit: Annotated[bool, typer.Option("--no-commit", help="With --record: make no git commit.")] = False,
    ledger: LedgerOption = None,
) -> None:
    """Draft a letter to a debtor: Markdown, HTML, PDF or email.

    One letter covers all the debtor's open invoices, never paid or disputed ones. --template auto
    follows the escalation ladder: current/A -> reminder (提醒函); B or a reminder already sent -> demand
    (催款函); C, a demand already sent or a broken promise -> final (最后通知); a final notice already sent ->
    lawyer (律师函, a draft for counsel); bankrupt -> claim (债权申报书). A debtor on hold, in a lawsuit,
    keeping a plan or with a promise pending gets no automatic letter. Templates in
    <ledger>/templates/<lang>/<name>.md.j2 override the built-in ones by name.

    \b
    Example: dunning letter shenyang-heavy --format pdf --record
    """
    from dunning.ledger import DEBTORS_DIR
    from dunning.letters import LetterError
    from dunning.letters import Templates
    from dunning.letters import build_letter
    from dunning.model import Via

    root, settings = open_settings(ledger)
    when = as_of_date(as_of, settings)
    kind = _format(fmt, output, send)
    vias: tuple[str, ...] = get_args(Via)
    if via is not None and via not in vias:
        fail(f"--via: '{via}' is not one of {', '.join(vias)}")
    if output is not None and str(output) == "-" and kind not in ("md", "html"):
        fail(f"-o -: a {kind} letter cannot go to the terminal; give a file name")
    if send and (settings.smtp is None):
        fail("--send: no `smtp:` server in dunning.yaml (host, port, user, starttls, sender)")
    if to is not None and "@" not in to:
        fail(f"--to: not an email address: '{to}'")
    if record and by is not None and settings.collectors and by not in settings.collectors:
        # the writer would refuse it, but only after the letter is written: say so before
        fail(f"--by: unknown collector '{by}' (dunning.yaml collectors: {', '.join(settings.collectors)})")
    rate = _interest(interest_rate)
    debtor = _debtor(root, settings, debtor_id)
    require_rules(root, debtor_id, debtor, settings)
    pay_date = option_date(pay_by, "--pay-by") if pay_by else None
    try:
        drafted = build_letter(debtor_id, debtor, settings, when, template=template, lang=lang, pay_by=pay_date,
                               guarantor=guarantor, interest_rate=rate)
    except LetterError as error:
        fail(error.message)
    typer.echo(f"dunning: {drafted.template} ({drafted.reason}), reference {drafted.reference}", err=True)
    for note in drafted.notes:
        typer.echo(f"dunning: note: {note}", err=True)

    if kind == "eml" and to is None and drafted.email is None:
        fail(f"no email address for {drafted.addressee}: add `email:` to a contact in {DEBTORS_DIR}/"
             f"{debtor_id}.yaml, or give one with --to")
    moment = now(settings) if when == today(settings) else datetime.combine(when, now(settings).timetz())
    data, message = _render(drafted, Templates(root), kind, settings, to=to, when=moment, send=send)
    said = []
    undo: Callable[[], None] = _nothing
    if output is not None and str(output) == "-":
        typer.echo(data.decode("utf-8"), nl=False)
        target = None
    else:
        target = output if output is not None else (
            root / LETTERS_DIR / debtor_id / f"{when.isoformat()}-{drafted.template}.{kind}")
        if output is None and not target.resolve().is_relative_to(root.resolve()):
            # an explicit -o anywhere is the user's choice; the default place must stay in the ledger
            fail(f"{target.relative_to(root)} leads outside the ledger (a symbolic link): nothing written; "
                 "remove the link, or give -o")
        undo = _write_letter(target, data)
        said.append(str(target.relative_to(root)) if target.resolve().is_relative_to(root) else str(target))
    if send:
        from dunning.mail import PASSWORD_ENV
        from dunning.mail import MailError
        from dunning.mail import send as send_mail

        assert settings.smtp is not None
        try:
            send_mail(message, settings.smtp, os.environ.get(PASSWORD_ENV))
        except MailError as error:
            undo()
            fail(error.message)
        said.append(f"sent to {message['To']}")
        for line in said:  # sent cannot be taken back: say where its copy is before recording it
            typer.echo(line)
        said = []
    if record:
        files = [target] if target is not None and target.resolve().is_relative_to(root) else []
        channel = via or ("email" if kind == "eml" else "registered_mail")
        # a letter of today is stamped by the writer, under its lock; one dated --as-of keeps that day
        at = None if when == today(settings) else when
        said.append(_record(root, settings, drafted, via=channel, by=by, at=at, files=files, no_commit=no_commit,
                            undo=undo, sent=send))
    for line in said:
        typer.echo(line)
