"""`dunning check`: validate every file of the ledger, silently when all is well."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from typing import Annotated
from typing import Any

import typer

from dunning.cli.base import EXIT_LEDGER
from dunning.cli.base import FormatOption
from dunning.cli.base import LedgerOption
from dunning.cli.base import app
from dunning.cli.base import ledger_root
from dunning.cli.base import output_format

if TYPE_CHECKING:
    from dunning.ledger import LedgerError


def run_checks(root: Path, *, history: bool = False, cache: bool = True) -> list[LedgerError]:
    """Every error and warning of the ledger: schema, cross-file, deep per-file checks, optionally git."""
    from dunning.checks import deep_checks
    from dunning.ledger import load_ledger

    ledger = load_ledger(root, cache=cache, collect=True)  # with the cheap cross-file checks
    problems = list(ledger.warnings)
    problems += [e for e in deep_checks(root, ledger.settings, ledger.debtors)
                 if ledger.settings_ok or "unknown collector" not in e.message]
    for extra in CHECK_HOOKS:
        problems += extra(root, ledger)
    if history:
        from dunning.gitlog import verify_history

        problems += verify_history(root)
    return sorted(set(problems))


def _letter_templates(root: Path, ledger: Any) -> list[LedgerError]:
    """The ledger's own letter templates: syntax, unknown variables, threatening wording (dunning.letters)."""
    if not (root / "templates").is_dir():  # most ledgers have none: skip loading Jinja at all
        return []
    from dunning.letters import lint_templates

    return lint_templates(root, ledger)


# Other topics (letters' template lint, contact rules) add their checks here: f(root, ledger) -> errors.
CHECK_HOOKS: list = [_letter_templates]  # type: ignore[type-arg]


@app.command()
def check(
    ledger: LedgerOption = None,
    history: Annotated[bool, typer.Option("--history", help="Also prove from git history that no event "
                                          "was ever changed or removed.")] = False,
    fmt: FormatOption = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Parse every file, ignoring the cache.")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings count as errors (exit 1).")] = False,
) -> None:
    """Validate every file of the ledger and print every error.

    Schema, references, order, dates, evidence hashes, letter templates; --history also the git
    history. Silent with exit 0 when all is well; otherwise one line per problem, `file:line:col: path: message`,
    and exit 1 when there is an error. Warnings (contacts outside contact_hours) do not fail the check
    unless --strict.

    \b
    Example: dunning check --format json
    """
    from dunning.render import dump_json

    kind = output_format(fmt, None)
    root = ledger_root(ledger)
    problems = run_checks(root, history=history, cache=not no_cache)
    errors = [p for p in problems if p.severity == "error" or strict]
    if kind == "json":
        typer.echo(dump_json({"errors": [p.as_json() for p in problems if p.severity == "error" or strict],
                              "warnings": [p.as_json() for p in problems
                                           if p.severity != "error" and not strict]}), nl=False)
    else:
        for problem in problems:
            typer.echo(str(problem))
    if errors:
        raise typer.Exit(EXIT_LEDGER)
