"""The README's tour, run as written: the commands are read from README.md, so the two cannot drift.

Every `$ ` line of the ```console block under `## Tour` runs in order (a heredoc and `\\` continuation
lines with it) in a temporary folder with real git and the venv's `dunning`; each must exit 0, and
each output line the README shows under a command must be printed by it, in that order (`[…]`
stands for a commit id, `...` for lines left out).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BIN = Path(sys.executable).parent
COMMIT_ID = re.compile(r"\[[0-9a-f]{7,40}\]")


@dataclass
class Step:
    command: str
    shown: list[str] = field(default_factory=list)


def tour_block(text: str) -> str:
    """The first ```console block after the `## Tour` heading."""
    heading = re.search(r"^## Tour\s*$", text, re.MULTILINE)
    assert heading, "README.md has no `## Tour` section"
    block = re.search(r"^```console\n(.*?)^```\s*$", text[heading.end():], re.MULTILINE | re.DOTALL)
    assert block, "the Tour section has no ```console block"
    return block.group(1)


def tour_steps(block: str) -> list[Step]:
    """`$ ` lines with their continuation and heredoc lines; the other lines are the output shown."""
    steps: list[Step] = []
    lines = block.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.startswith("$ "):
            assert steps, f"output before the first command: {line!r}"
            if line.strip() and line.strip() != "...":
                steps[-1].shown.append(line.rstrip())
            continue
        command = line[2:]
        while command.endswith("\\"):
            command += "\n" + lines[index]
            index += 1
        heredoc = re.search(r"<<-?\s*'?\"?(\w+)", command)
        if heredoc:
            while lines[index] != heredoc.group(1):
                command += "\n" + lines[index]
                index += 1
            command += "\n" + lines[index]
            index += 1
        steps.append(Step(command))
    return steps


STEPS = tour_steps(tour_block(README.read_text(encoding="utf-8")))


def test_the_tour_shows_every_step_of_the_walkthrough() -> None:
    commands = [" ".join(s.command.split()) for s in STEPS]
    wanted = [r"^dunning init ", r"^dunning import ", r"^dunning new ", r"^dunning log .*--promise-date",
              r"^dunning pay ", r"^dunning plan ", r"^dunning letter .*--record", r"^dunning deadlines",
              r"^dunning agenda", r"^dunning age", r"^dunning history ", r"^dunning check --history",
              r"^dunning export .*--redact"]
    positions = []
    for pattern in wanted:
        found = [i for i, c in enumerate(commands) if re.search(pattern, c)]
        assert found, f"the tour has no step matching {pattern}"
        positions.append(found[0])
    assert positions == sorted(positions), "the tour's steps are out of the order of a first day"


def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = 张三\n\temail = zhang.san@example.cn\n"
                                     "[init]\n\tdefaultBranch = main\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DUNNING_", "GIT_"))}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CEILING_DIRECTORIES=str(tmp_path),
               PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", LC_ALL="C.UTF-8", COLUMNS="200")
    folder = tmp_path / "work"
    folder.mkdir()
    cwd = folder
    for step in STEPS:
        single = step.command.strip()
        if re.fullmatch(r"cd \S+", single):
            cwd = (cwd / single.split()[1]).resolve()
            assert cwd.is_dir(), step.command
            continue
        ran = subprocess.run(["bash", "-c", step.command], cwd=cwd, env=env, capture_output=True, text=True,
                             timeout=300, check=False)
        output = ran.stdout + ran.stderr
        assert ran.returncode == 0, f"$ {step.command}\nexit {ran.returncode}\n{output}"
        assert "Traceback" not in output, output
        printed = [COMMIT_ID.sub("[…]", line).rstrip() for line in output.splitlines()]
        at = 0
        for line in step.shown:
            if line not in printed[at:]:
                pytest.fail(f"$ {step.command}\nthe README shows {line!r}, which it did not print (in this order):\n"
                            + "\n".join(printed))
            at = printed.index(line, at) + 1
    assert cwd != folder, "the tour never entered its ledger"
    status = subprocess.run(["git", "status", "--porcelain", "--", "debtors", "letters", "dunning.yaml"],
                            cwd=cwd, env=env, capture_output=True, text=True, check=True)
    assert status.stdout == "", f"the tour left ledger files uncommitted:\n{status.stdout}"
