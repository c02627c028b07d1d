"""`dunning hooks install`, the hook's own check, and `dunning merge-driver` (run by git, not by people)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dunning.cli.base import EXIT_LEDGER
from dunning.cli.base import LedgerOption
from dunning.cli.base import app
from dunning.cli.base import fail
from dunning.cli.base import ledger_root

hooks_app = typer.Typer(
    help="Git hooks and merge settings for a ledger kept in git.\n\n\b\nExample: dunning hooks install",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(hooks_app, name="hooks")


@hooks_app.command("install")
def hooks_install(ledger: LedgerOption = None) -> None:
    """Set up this clone: the merge driver and the pre-commit hook.

    Writes `debtors/*.yaml merge=dunning` into the ledger's .gitattributes (commit it once, for
    everyone), registers `dunning merge-driver` in this clone's git config and installs a
    pre-commit hook that runs the checks on what is staged. Run it once in every clone.

    \b
    Example: dunning hooks install --ledger ar
    """
    from dunning.gitlog import GitError
    from dunning.gitlog import repository_top
    from dunning.gitlog import setup_repository

    root = ledger_root(ledger)
    if repository_top(root) is None:
        fail(f"{root} is not in a git repository (run `git init` first, or `dunning init`)")
    try:
        notes = setup_repository(root)
    except GitError as problem:
        fail(f"git: {problem}")
    for note in notes:
        typer.echo(note)


@hooks_app.command("pre-commit")
def hooks_pre_commit(ledger: LedgerOption = None) -> None:
    """What the pre-commit hook runs on the staged debtor files.

    They must pass check and keep every recorded event. Compares each staged debtor file with HEAD:
    events may only be added, never changed or removed. Prints the problems and exits 1 to stop the
    commit.

    \b
    Example: dunning hooks pre-commit --ledger .
    """
    from dunning.gitlog import GitError
    from dunning.gitlog import repository_top
    from dunning.gitlog import verify_staged

    root = ledger_root(ledger)
    if repository_top(root) is None:
        fail(f"{root} is not in a git repository: there is nothing staged to check")
    try:
        problems = verify_staged(root)
    except GitError as error:
        fail(f"git: {error}")
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        typer.echo("dunning: commit refused: fix the staged files (or commit with --no-verify if you must)",
                   err=True)
        raise typer.Exit(EXIT_LEDGER)


@app.command("merge-driver")
def merge_driver(
    base: Annotated[Path, typer.Argument(help="%O: the common ancestor's version.")],
    ours: Annotated[Path, typer.Argument(help="%A: our version; the result is written here.")],
    theirs: Annotated[Path, typer.Argument(help="%B: their version.")],
    name: Annotated[str, typer.Argument(help="%P: the file's path in the repository.")] = "debtor file",
) -> None:
    """Git merge driver for debtor files (git runs it).

    Events become the union of both sides in time order; facts merge three-way. Git runs it (see
    `dunning hooks install`); exit 0 is a clean merge, 1 leaves conflict markers around the facts both
    sides changed.

    \b
    Example: git config merge.dunning.driver "dunning merge-driver %O %A %B %P"
    """
    from dunning.gitlog import GitError
    from dunning.gitlog import merge_driver as run_merge_driver

    for version in (base, ours, theirs):
        if not version.is_file():
            fail(f"{version}: no such file (git passes the three versions of the file: %O %A %B)")
    try:
        raise typer.Exit(run_merge_driver(base, ours, theirs, name))
    except (OSError, GitError) as problem:
        fail(f"merge of {name} failed: {problem}")
