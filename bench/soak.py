"""Soak test of the writers (`make soak`): many `dunning log` calls at once, commits, and clones that merge.

1. 8 processes x 200 `dunning log --no-commit` calls on a copy of the sample ledger: every event must
   be there once, and `dunning check` must pass.
2. 4 processes x 25 committing calls in a git repository: one commit per event, `check --history` clean.
3. Three clones of one bare remote record, pull (with the dunning merge driver) and push in rounds:
   every clone ends with every event, and `check --history` is clean.
4. kill -9 mid-write: rounds of one `dunning log` process (and its git children: the whole process
   group) SIGKILLed at a random moment of its run, without and with commits. Every event whose
   command exited 0 before the kill is found, a killed one is found at most once (if it got as far as
   the rename), nothing else; `check` (`check --history` with commits) passes; and the next write
   succeeds (the kernel released the lock; it clears the killed writers' temporary files).

The calls run the real command line (`dunning log ...`) inside each worker process, so that the
measurement is of the writer and not of Python's start-up. Prints the counts; exits 1 if anything
was lost. Usage: `python bench/soak.py [--calls 200] [--processes 8] [--kills 60]`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections import deque
from pathlib import Path

from typer.testing import CliRunner

from dunning.cli.app import app
from dunning.cli.check import run_checks
from dunning.gitlog import setup_repository
from dunning.gitlog import verify_history
from dunning.ledger import debtor_files
from dunning.ledger import load_ledger
from dunning.writer import append_event

SAMPLE = Path(__file__).resolve().parent.parent / "ledger"
DUNNING = str(Path(sys.executable).parent / "dunning")


RUNNER = CliRunner()


def dunning(*args: str) -> int:
    """Run one `dunning ...` command in this process; its exit code."""
    return RUNNER.invoke(app, list(args)).exit_code


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, check=check, capture_output=True, text=True)


def _worker(root: str, ids: list[str], worker: int, calls: int, commit: bool, failures: multiprocessing.Queue) -> None:
    for n in range(calls):
        debtor = ids[(worker * calls + n) % len(ids)]
        args = ["log", debtor, "--type", "call", "--outcome", "reached", "--summary", f"soak w{worker} n{n}",
                "--by", "zhang.san", "--ledger", root]
        code = dunning(*args, *([] if commit else ["--no-commit"]))
        if code != 0:
            failures.put(f"w{worker} n{n} {debtor}: exit {code}")


def hammer(root: Path, processes: int, calls: int, *, commit: bool) -> tuple[float, list[str]]:
    ids = [i for i, _ in debtor_files(root)]
    context = multiprocessing.get_context("fork")
    failures: multiprocessing.Queue = context.Queue()
    start = time.perf_counter()
    workers = [context.Process(target=_worker, args=(str(root), ids, w, calls, commit, failures))
               for w in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    failed = []
    while not failures.empty():
        failed.append(failures.get())
    return elapsed, failed


def soak_events(root: Path, processes: int, calls: int) -> tuple[Counter[str], int]:
    ledger = load_ledger(root, cache=False)
    found: Counter[str] = Counter()
    for debtor in ledger.debtors.values():
        for event in debtor.events:
            if event.summary and event.summary.startswith("soak "):
                found[event.summary] += 1
    expected = {f"soak w{w} n{n}" for w in range(processes) for n in range(calls)}
    lost = len(expected - set(found))
    return found, lost


def check_errors(root: Path, *, history: bool = False) -> int:
    return sum(1 for p in run_checks(root, history=history, cache=False) if p.severity == "error")


def part_no_commit(base: Path, processes: int, calls: int) -> bool:
    root = base / "no-commit"
    shutil.copytree(SAMPLE, root)
    elapsed, failed = hammer(root, processes, calls, commit=False)
    found, lost = soak_events(root, processes, calls)
    duplicated = sum(c - 1 for c in found.values() if c > 1)
    errors = check_errors(root)
    total = processes * calls
    print(f"no-commit: {processes} processes x {calls} `dunning log --no-commit` = {total} calls in "
          f"{elapsed:.1f} s ({total / elapsed:.1f}/s); refused {len(failed)}; events found {sum(found.values())}, "
          f"lost {lost}, duplicated {duplicated}; check: {errors} errors")
    for failure in failed[:5]:
        print(f"  refused: {failure}")
    return not failed and lost == 0 and duplicated == 0 and errors == 0


def part_commit(base: Path, processes: int, calls: int) -> bool:
    root = base / "commit"
    shutil.copytree(SAMPLE, root)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "soak")
    git(root, "config", "user.email", "soak@example.cn")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "sample ledger")
    elapsed, failed = hammer(root, processes, calls, commit=True)
    found, lost = soak_events(root, processes, calls)
    commits = int(git(root, "rev-list", "--count", "HEAD").stdout) - 1
    dirty = git(root, "status", "--porcelain").stdout.strip()
    errors = check_errors(root, history=True)
    total = processes * calls
    print(f"commit:    {processes} processes x {calls} `dunning log` = {total} calls in {elapsed:.1f} s "
          f"({total / elapsed:.1f}/s); refused {len(failed)}; events found {sum(found.values())}, lost {lost}; "
          f"commits {commits}; working tree {'dirty' if dirty else 'clean'}; check --history: {errors} errors")
    return not failed and lost == 0 and commits == total and not dirty and errors == 0


def part_clones(base: Path, clones: int, rounds: int, per_round: int) -> bool:
    remote = base / "remote.git"
    git(base, "init", "-q", "--bare", "-b", "main", str(remote))
    seed = base / "seed"
    shutil.copytree(SAMPLE, seed)
    git(seed, "init", "-q", "-b", "main")
    git(seed, "config", "user.name", "seed")
    git(seed, "config", "user.email", "seed@example.cn")
    setup_repository(seed, command=DUNNING)
    git(seed, "add", ".")
    git(seed, "commit", "-q", "-m", "sample ledger")
    git(seed, "remote", "add", "origin", str(remote))
    git(seed, "push", "-q", "-u", "origin", "main")
    places = []
    for index in range(clones):
        place = base / f"clone{index}"
        git(base, "clone", "-q", str(remote), str(place))
        git(place, "config", "user.name", f"collector{index}")
        git(place, "config", "user.email", f"collector{index}@example.cn")
        git(place, "config", "pull.rebase", "false")
        setup_repository(place, command=DUNNING)
        places.append(place)
    ids = [i for i, _ in debtor_files(seed)]
    chooser = random.Random(7)
    expected: set[str] = set()
    conflicts = 0
    start = time.perf_counter()
    for round_ in range(rounds):
        for index, place in enumerate(places):
            for n in range(per_round):
                summary = f"clone{index} round{round_} #{n}"
                append_event(place, chooser.choice(ids[:4]), {"type": "note", "summary": summary})
                expected.add(summary)
        for place in places:
            pulled = git(place, "pull", "-q", "--no-edit", check=False)
            if pulled.returncode != 0:
                conflicts += 1
                print(f"  conflict in {place.name}: {pulled.stderr.strip()[:300]}")
                return False
            git(place, "push", "-q")
    for place in places:
        git(place, "pull", "-q", "--no-edit")
    elapsed = time.perf_counter() - start
    ok = True
    merges = int(git(places[0], "rev-list", "--merges", "--count", "HEAD").stdout)
    for place in places:
        held = Counter(e.summary for d in load_ledger(place, cache=False).debtors.values() for e in d.events
                       if e.summary and e.summary.startswith("clone"))
        missing = len(expected - set(held))
        duplicated = sum(c - 1 for c in held.values() if c > 1)
        history = len(verify_history(place))
        print(f"clones:    {place.name} holds {sum(held.values())}/{len(expected)} events, missing {missing}, "
              f"duplicated {duplicated}; check --history: {history} errors")
        ok = ok and missing == 0 and duplicated == 0 and history == 0
    print(f"clones:    {clones} clones x {rounds} rounds x {per_round} events = {len(expected)} events, "
          f"{merges} merge commits, {conflicts} conflicts, {elapsed:.1f} s")
    return ok


def _log_args(root: Path, debtor: str, summary: str, commit: bool) -> list[str]:
    return [DUNNING, "log", debtor, "--type", "call", "--outcome", "reached", "--summary", summary, "--by",
            "zhang.san", "--ledger", str(root), *([] if commit else ["--no-commit"])]


def _wait_for_group(group: int, seconds: float = 10.0) -> None:
    """Until every process of a group has ended (git children of a killed `dunning` finish on their own)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)


def part_kill(base: Path, rounds: int, *, commit: bool, group: bool = False) -> bool:
    """Start `dunning log`, SIGKILL it (`group`: with its git children) at a random moment; count what survived.

    Killing git mid-commit leaves `.git/index.lock`: git refuses to commit until it is removed (its own
    message says so) and the writes in between stay uncommitted (exit 0 with a note). The soak removes
    it, as that message tells a person to, and checks that the next write commits everything.
    """
    root = base / ("kill-group" if group else "kill-commit" if commit else "kill")
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".dunning"))
    if commit:
        git(root, "init", "-q", "-b", "main")
        git(root, "config", "user.name", "soak")
        git(root, "config", "user.email", "soak@example.cn")
        git(root, "add", ".")
        git(root, "commit", "-q", "-m", "sample ledger")
    ids = [i for i, _ in debtor_files(root)]
    chooser = random.Random(11 if commit else 10)
    # Aim the kills at a whole run, start-up included: at 0.3 to 1.2 times the median of the last runs left
    # to finish (every fourth: timing only the runs that beat their kill would drift short; the load of the
    # machine changes while the soak runs, so the aim follows it).
    took: deque[float] = deque(maxlen=7)
    for n in range(3):
        start = time.perf_counter()
        subprocess.run(_log_args(root, ids[n], f"kill warm-up {n}", commit), check=True, capture_output=True)
        took.append(time.perf_counter() - start)
    completed: list[str] = []
    killed: list[str] = []
    refused: list[str] = []
    start = time.perf_counter()
    for n in range(rounds):
        summary = f"kill round {n}"
        delay = chooser.uniform(0.3, 1.2) * statistics.median(took) if n % 4 != 3 else 600.0
        started = time.perf_counter()
        process = subprocess.Popen(_log_args(root, chooser.choice(ids), summary, commit), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, start_new_session=True)
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            if group:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
            process.wait()
            _wait_for_group(process.pid)
            killed.append(summary)
        else:
            if n % 4 == 3:
                took.append(time.perf_counter() - started)
            if process.returncode == 0:
                completed.append(summary)
            else:
                refused.append(f"{summary}: exit {process.returncode}: {process.stderr.read().decode()[-300:]}")
        if process.stderr is not None:
            process.stderr.close()
    typical = statistics.median(took)
    elapsed = time.perf_counter() - start
    leftovers = sorted(p.name for p in (root / "debtors").glob(".*.tmp"))
    locks = [str(p.relative_to(root)) for p in (root / ".git").glob("*.lock")] if commit else []
    errors_before = check_errors(root, history=commit)
    for lock in locks:
        (root / lock).unlink()
    # A writer killed between the rename and its commit leaves its debtor file uncommitted: the next write
    # to that debtor commits it ("Also commits earlier uncommitted changes"). Write once more to each such
    # debtor (and to one other): every write must go through, commit, and clear the temporary files.
    changed = git(root, "status", "--porcelain").stdout.splitlines() if commit else []
    pending = sorted({m[1] for line in changed if (m := re.fullmatch(r"debtors/([a-z0-9][a-z0-9-]*)\.yaml", line[3:]))})
    after = subprocess.run(_log_args(root, ids[0], "kill after", commit), capture_output=True, text=True)
    for debtor in pending:
        again = subprocess.run(_log_args(root, debtor, "kill after", commit), capture_output=True, text=True)
        if after.returncode == 0 and "not committed" not in after.stderr:
            after = again
    ledger = load_ledger(root, cache=False)
    found = Counter(e.summary for d in ledger.debtors.values() for e in d.events
                    if e.summary and e.summary.startswith("kill round"))
    lost = [s for s in completed if s not in found]
    stray = [s for s in found if s not in completed and s not in killed]
    duplicated = sum(c - 1 for c in found.values() if c > 1)
    survived = sum(1 for s in killed if s in found)
    errors = check_errors(root, history=commit)
    left_after = sorted(p.name for p in (root / "debtors").glob(".*.tmp"))
    dirty = git(root, "status", "--porcelain", "--untracked-files=all").stdout.strip() if commit else ""
    mode = "group:     " if group else "commit:    " if commit else "no-commit: "
    victim = " and its git children" if group else ""
    print(f"kill -9 {mode}{rounds} rounds of `dunning log{'' if commit else ' --no-commit'}`{victim} killed at random "
          f"(one run ~{typical:.2f} s) in {elapsed:.1f} s: exited 0 before the kill {len(completed)}, killed "
          f"{len(killed)}, refused {len(refused)}; events found {sum(found.values())} = {len(completed)} completed "
          f"+ {survived} killed after the rename; lost {len(lost)}, stray {len(stray)}, duplicated {duplicated}; "
          f"temporary files left {len(leftovers)} (after the next write {len(left_after)})"
          + (f"; git locks left {len(locks)}" + (" (removed)" if locks else "") if commit else "")
          + (f"; debtor files left uncommitted {len(pending)} (committed by the next write to each)" if commit else "")
          + f"; check{' --history' if commit else ''}: {errors_before} errors; next write: exit {after.returncode}"
          + (f", working tree {'dirty' if dirty else 'clean'}" if commit else ""))
    for problem in [*refused[:3], *lost[:3], *stray[:3]]:
        print(f"  {problem}")
    if dirty:
        print(f"  not committed: {' '.join(dirty.split())[:300]}")
    if after.returncode != 0 or "not committed" in after.stderr:
        print(f"  next write: {after.stderr.strip()[-300:]}")
    return (not refused and not lost and not stray and duplicated == 0 and errors_before == 0 and errors == 0
            and after.returncode == 0 and "not committed" not in after.stderr and not left_after and not dirty)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--commit-processes", type=int, default=4)
    parser.add_argument("--commit-calls", type=int, default=25)
    parser.add_argument("--clones", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--kills", type=int, default=60, help="kill -9 rounds without commits (half that with)")
    options = parser.parse_args()
    os.environ.pop("DUNNING_COLLECTOR", None)
    with tempfile.TemporaryDirectory(prefix="dunning-soak-") as folder:
        base = Path(folder)
        results = [
            part_no_commit(base, options.processes, options.calls),
            part_commit(base, options.commit_processes, options.commit_calls),
            part_clones(base, options.clones, options.rounds, 3),
            part_kill(base, options.kills, commit=False),
            part_kill(base, options.kills // 2, commit=True),
            part_kill(base, options.kills // 2, commit=True, group=True),
        ]
    print("soak: " + ("everything kept" if all(results) else "FAILED: something was lost or refused"))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
