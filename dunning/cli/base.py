"""What every command shares: the typer app, common options, errors and exit codes, output."""

from __future__ import annotations

import sys
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Annotated
from typing import NoReturn

import typer

from dunning.ledger import Ledger
from dunning.ledger import LedgerErrors
from dunning.ledger import find_ledger
from dunning.ledger import load_ledger
from dunning.ledger import load_settings
from dunning.model import Settings
from dunning.model import parse_date
from dunning.model import parse_money
from dunning.render import Format
from dunning.render import format_from_path

app = typer.Typer(
    name="dunning",
    help="Plain-file receivables collection (催收): aging, limitation deadlines, letters, the day's agenda.\n\n"
    "The ledger is a folder of YAML files in git: `dunning.yaml` and `debtors/<id>.yaml`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
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
    root = ledger_root(option)
    try:
        return load_ledger(root)
    except LedgerErrors as errors:
        typer.echo(f"dunning: the ledger has {len(errors.errors)} error(s); `dunning check` lists them:",
                   err=True)
        fail_with(errors)


def open_settings(option: Path | None) -> tuple[Path, Settings]:
    root = ledger_root(option)
    try:
        return root, load_settings(root)
    except LedgerErrors as errors:
        fail_with(errors)


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
    try:
        return parse_date(value)
    except ValueError as error:
        fail(f"{name}: {error}")


def as_of_date(value: str | None, settings: Settings) -> date:
    return option_date(value, "--as-of", today(settings))


def option_money(value: str, name: str) -> str:
    """Validate an amount option (at most 2 decimals, positive) and return it as written."""
    try:
        amount = parse_money(value)
    except ValueError as error:
        fail(f"{name}: {error}")
    if amount <= 0:
        fail(f"{name}: must be greater than 0, got {value}")
    return value


def output_format(fmt: str | None, output: Path | None) -> Format:
    try:
        return format_from_path(output, fmt)
    except ValueError as error:
        fail(str(error))


def emit(text: str, output: Path | None) -> None:
    """Print, or write the file atomically (never a half-written report)."""
    if output is None:
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
