"""Every command of `dunning` has help with a one-line description and an example, and is in the README.

The commands are found by walking the typer app, so a new command is covered without touching this file.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from dunning.cli.app import app

README = Path(__file__).resolve().parents[1] / "README.md"


def _walk(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = []
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found.append(((*path, name), sub))
        found += _walk(sub, (*path, name))
    return found


COMMANDS = _walk(typer.main.get_command(app))
IDS = [" ".join(path) for path, _ in COMMANDS]


def test_the_walk_finds_the_commands() -> None:
    # A check of the walk itself: the groups' subcommands are reached too.
    assert {"age", "show", "log", "hooks", "hooks install", "merge-driver"} <= set(IDS)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=IDS)
def test_help_has_a_description_and_an_example(path: tuple[str, ...], command: Any) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    text = inspect.cleandoc(command.help or "")
    first, _, rest = text.partition("\n\n")
    assert first.strip() and "\n" not in first, f"`dunning {' '.join(path)}`: the first paragraph of its help " \
        f"is not one line: {first!r}"
    assert "Example:" in rest, f"`dunning {' '.join(path)}` has no `Example:` paragraph in its help"
    # Rendered: the description, and the example on a line of its own.
    assert first.split()[0] in result.output
    assert re.search(r"^\s*Example: \S", result.output, re.MULTILINE), result.output


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=IDS)
def test_every_command_is_in_the_readme(path: tuple[str, ...]) -> None:
    name = " ".join(path)
    assert re.search(rf"dunning {re.escape(name)}(?![\w-])", README.read_text(encoding="utf-8")), \
        f"README.md never mentions `dunning {name}`"


def test_top_level_help_lists_every_command_with_its_description() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for path, command in COMMANDS:
        if len(path) == 1:
            listed = [line for line in result.output.splitlines() if line.strip().startswith(path[0] + " ")]
            assert listed, f"{path[0]} is not listed in `dunning --help`"
            assert inspect.cleandoc(command.help or "").split()[0] in listed[0]


HEAVY = ("pydantic", "yaml", "holidays", "jinja2", "weasyprint", "matplotlib", "openpyxl", "git", "rich",
         "dunning.model", "dunning.ledger", "dunning.deadlines", "dunning.letters", "dunning.gitlog",
         "dunning.importer", "dunning.analytics", "dunning.risk", "dunning.aging")


def _imported_by(*args: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running `dunning ARGS...` (the typer app, so
    that the interpreter lives on to list them)."""
    script = f"""
import sys
from dunning.cli.app import app
try:
    app({list(args)!r})
except SystemExit:
    pass
sys.stderr.write("\\n".join(sys.modules))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    loaded = set(result.stderr.split("\n"))
    assert {"typer", "dunning.cli.base", "dunning.cli.show"} <= loaded, result.stderr[-2000:]
    return loaded


def test_dunning_help_loads_no_heavy_module() -> None:
    # `dunning --help` (and every command's start) pays for what the command modules import at the
    # top: the model, the ledger, the rule sets and the libraries load inside the commands.
    loaded = _imported_by("--help")
    assert sorted(m for m in HEAVY if m in loaded) == []


def test_a_command_loads_only_what_it_needs() -> None:
    loaded = _imported_by("check", "--ledger", "/nonexistent")
    assert "dunning.ledger" in loaded  # it looked for the ledger
    assert sorted(m for m in ("holidays", "jinja2", "weasyprint", "matplotlib", "openpyxl", "git",
                              "dunning.letters", "dunning.importer", "dunning.analytics") if m in loaded) == []
