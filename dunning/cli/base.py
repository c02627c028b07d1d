"""What every command shares: the typer app, common options, errors and exit codes, output."""

from __future__ import annotations

import re
import sys
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Annotated
from typing import NoReturn

import typer

# Only typer is imported up front: `dunning --help` and every command's start-up pay for what is
# imported here, so the ledger, the model (pydantic) and the renderers load inside the functions.
if TYPE_CHECKING:
    from dunning.ledger import Ledger
    from dunning.ledger import LedgerErrors
    from dunning.model import Debtor
    from dunning.model import Settings
    from dunning.render import Format

app = typer.Typer(
    name="dunning",
    help="Plain-file receivables collection (催收): aging, limitation deadlines, letters, the day's agenda.\n\n"
    "The ledger is a folder of YAML files in git: `dunning.yaml` and `debtors/<id>.yaml`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain click help, as sqlite-utils has: paragraphs reflow to the terminal, a `\b` paragraph (the
    # examples) is kept as written, and no rich import (~0.15 s) on every --help or usage error.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_LEDGER = 1
EXIT_USAGE = 2

LedgerOption = Annotated[
    Path | None,
    typer.Option("--ledger", "-L", envvar="DUNNING_LEDGER", show_envvar=True,
                 help="The ledger folder (default: nearest folder upward holding dunning.yaml)."),
]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="Report as of this date, YYYY-MM-DD (default: today).")
]
FormatOption = Annotated[
    str | None, typer.Option("--format", "-f", help="table, csv, json or md (default: from -o, else table).")
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file; its extension sets the format.")
]


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print `dunning: error: ...` to stderr and exit: 2 for bad input, 1 for ledger errors."""
    typer.echo(f"dunning: error: {message}", err=True)
    raise typer.Exit(code)


def ledger_root(option: Path | None) -> Path:
    from dunning.ledger import LedgerErrors
    from dunning.ledger import find_ledger

    try:
        return find_ledger(option)
    except LedgerErrors as errors:
        fail_with(errors, EXIT_USAGE)


def fail_with(errors: LedgerErrors, code: int = EXIT_LEDGER) -> NoReturn:
    for error in errors.errors:
        typer.echo(str(error), err=True)
    raise typer.Exit(code)


def open_ledger(option: Path | None) -> Ledger:
    """The whole ledger, validated; a ledger with errors stops the command with exit 1."""
    from dunning.ledger import LedgerErrors
    from dunning.ledger import load_ledger

    root = ledger_root(option)
    try:
        book = load_ledger(root)
    except LedgerErrors as errors:
        typer.echo(f"dunning: the ledger has {len(errors.errors)} error(s); `dunning check` lists them:",
                   err=True)
        fail_with(errors)
    LOADED.append(book)
    return book


# The loaded ledgers live until the process ends: `main` then leaves without freeing them one by one
# (~0.3 s for the 300,000 objects of a 10,000-debtor ledger).
LOADED: list[Ledger] = []


def open_debtor(root: Path, debtor_id: str) -> Debtor:
    """One debtor's file alone: an unknown or malformed id is bad input (exit 2), a file that does not
    parse is a ledger error (exit 1, with every error located)."""
    from dunning.ledger import DEBTORS_DIR
    from dunning.ledger import LedgerErrors
    from dunning.ledger import load_debtor

    try:
        return load_debtor(root, debtor_id)
    except LedgerErrors as errors:
        first = errors.errors[0]
        if len(errors.errors) == 1 and first.message.startswith(("unknown debtor", "not a debtor id")):
            fail(first.message)
        typer.echo(f"dunning: error: {DEBTORS_DIR}/{debtor_id}.yaml does not pass `dunning check`:", err=True)
        fail_with(errors)


def open_settings(option: Path | None) -> tuple[Path, Settings]:
    from dunning.ledger import LedgerErrors
    from dunning.ledger import load_settings

    root = ledger_root(option)
    try:
        return root, load_settings(root)
    except LedgerErrors as errors:
        fail_with(errors)


def require_rules(root: Path, debtor_id: str, debtor: Debtor, settings: Settings) -> None:
    """Stop with exit 1 when the debtor's jurisdiction (else the ledger's) has no limitation rules.

    The deadlines would be missing, so no command shows, exports or drafts without them; the error
    names the file and line to fix: `debtors/ID.yaml:4:15: jurisdiction: unknown jurisdiction 'XX': ...`.
    """
    from dunning.deadlines import UnknownJurisdiction
    from dunning.deadlines import rule_set
    from dunning.deadlines.engine import jurisdiction_of

    try:
        rule_set(jurisdiction_of(debtor, settings))
    except UnknownJurisdiction as error:
        jurisdiction_failure(root, debtor_id, debtor, error)


def jurisdiction_failure(root: Path, debtor_id: str, debtor: Debtor, error: Exception) -> NoReturn:
    """`UnknownJurisdiction` as a ledger error at the `jurisdiction` line that set it (exit 1)."""
    from dunning.checks import place
    from dunning.checks import place_in
    from dunning.ledger import SETTINGS_FILE

    problem = place(root, debtor_id, ["jurisdiction"], str(error)) if debtor.jurisdiction else \
        place_in(root, SETTINGS_FILE, ["jurisdiction"], str(error))
    fail(str(problem), EXIT_LEDGER)


def today(settings: Settings) -> date:
    """Today in the ledger's time zone: the only place the clock is read."""
    return datetime.now(settings.zone).date()


def now(settings: Settings) -> datetime:
    return datetime.now(settings.zone).replace(microsecond=0)


def option_date(value: str | None, name: str, default: date | None = None) -> date:
    """A date option, or exit 2 naming the option: `--as-of: not a date: '2025-13-01'`."""
    if value is None:
        if default is None:
            fail(f"{name} is required")
        return default
    from dunning.model import parse_date

    try:
        return parse_date(value)  # 1900 to 2999: reports count months and years on from it
    except ValueError as error:
        fail(f"{name}: {error}")


def as_of_date(value: str | None, settings: Settings) -> date:
    return option_date(value, "--as-of", today(settings))


def option_amount(value: str, name: str) -> Decimal:
    """An amount option as typed (`20000`, `1,234.50`; at most 2 decimals), or exit 2 naming the option."""
    from dunning.model import parse_money

    # Digits as people type them: Decimal alone would also take 1e5, nan or inf as numbers.
    if not re.fullmatch(r"\s*[0-9][0-9,_]*(\.[0-9]*)?\s*", value):
        fail(f"{name}: not an amount: '{value}' (digits, e.g. 20000 or 1,234.50)")
    try:
        return parse_money(value)
    except ValueError as error:
        fail(f"{name}: {error}")


def option_money(value: str, name: str) -> str:
    """Validate an amount option (at most 2 decimals, positive) and return it as written."""
    if option_amount(value, name) <= 0:
        fail(f"{name}: must be greater than 0, got {value}")
    return value


def option_jurisdiction(value: str | None, name: str = "--jurisdiction") -> str | None:
    """A jurisdiction code that has limitation rules, or exit 2 naming the known ones."""
    if value is None:
        return None
    from dunning.deadlines import UnknownJurisdiction
    from dunning.deadlines import rule_set

    try:
        rule_set(value)
    except UnknownJurisdiction as error:
        fail(f"{name}: {error}")
    return value


def output_format(fmt: str | None, output: Path | None) -> Format:
    """--format, else the extension of -o (.csv, .json, .md; .txt or none: a table); exit 2 otherwise."""
    from dunning.render import format_from_path

    try:
        chosen = format_from_path(output, fmt)
    except ValueError as error:
        fail(f"--format: {error}")
    if fmt is None and output is not None:
        suffix = output.suffix.lower()
        if chosen == "table" and suffix not in ("", ".txt", ".text"):
            fail(f"-o {output}: cannot tell the format from '{output.suffix}': use .csv, .json, .md or .txt, "
                 "or give --format")
    return chosen


def emit(text: str, output: Path | None) -> None:
    """Print, or write the file atomically (never a half-written report)."""
    if output is None:
        if sys.stdout.isatty():  # nothing from a ledger may drive the terminal (escape codes, bidi marks)
            from dunning.render import printable

            text = "\n".join("\t".join(printable(cell) for cell in line.split("\t"))
                             for line in text.split("\n"))
        sys.stdout.write(text)
        return
    from dunning.ledger import atomic_write

    try:
        atomic_write(output, text.encode("utf-8"))
    except OSError as error:
        fail(f"{output}: cannot write: {error.strerror}")


def _version(value: bool) -> None:
    if value:
        from dunning import __version__

        typer.echo(f"dunning {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Plain-file receivables collection (催收): aging, limitation deadlines, letters, the day's agenda."""
