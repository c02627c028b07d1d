"""The `dunning` entry point: the typer app with every command module registered."""

from __future__ import annotations

# Each command module registers its commands on `app` when imported; one line per module.
from dunning.cli import age as _age  # noqa: F401
from dunning.cli import agenda as _agenda  # noqa: F401
from dunning.cli import calendar as _calendar  # noqa: F401
from dunning.cli import check as _check  # noqa: F401
from dunning.cli import deadlines as _deadlines  # noqa: F401
from dunning.cli import export as _export  # noqa: F401
from dunning.cli import gitcmds as _gitcmds  # noqa: F401
from dunning.cli import history as _history  # noqa: F401
from dunning.cli import importcmd as _importcmd  # noqa: F401
from dunning.cli import init as _init  # noqa: F401
from dunning.cli import letter as _letter  # noqa: F401
from dunning.cli import log as _log  # noqa: F401
from dunning.cli import report as _report  # noqa: F401
from dunning.cli import risk as _risk  # noqa: F401
from dunning.cli import show as _show  # noqa: F401
from dunning.cli.base import app


def main() -> None:
    """Run the command, then leave at once: freeing a large loaded ledger object by object at exit
    costs more than some commands themselves."""
    import gc
    import os
    import sys

    # A command runs for seconds and then exits: the cyclic collector would only rescan the loaded
    # ledger's objects (~10% of `dunning deadlines` on 10,000 debtors); memory is freed at exit.
    gc.disable()
    try:
        app()
        code: object = 0
    except SystemExit as done:
        code = done.code
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`dunning age | head`) or stream
            code = code or 1
    os._exit(code if isinstance(code, int) else 0)
