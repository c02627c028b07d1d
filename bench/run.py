"""`make bench`: what loading and the daily commands cost on large ledgers, beside the `cat` floor.

Generates (once, deterministic, into the ignored bench/out/) a 10,000- and a 100,000-debtor ledger
with bench/generate.py, then measures on this machine:

* the floor: `cat` of every debtor file, and Python reading every file's bytes;
* a full load (`dunning.ledger.load_ledger`: parse, validate, cross-check) cold (no cache: every
  file parsed and validated, the cache written) and warm (the cache valid);
* `age` as the library computes it (load + aging) against a bare load of the same ledger, and the
  whole `dunning age` command line, cold start of Python included;
* `dunning show ID` on the 100k ledger (it must read one file, not the ledger), `dunning --help`.

Each figure is the best of several runs (the first warm run excluded) and is printed with its
target. "Cold" means without dunning's cache; the operating system's page cache is warm (the files
were just generated or read), as on a collector's machine that has the ledger checked out.
Exit status 1 when a target is missed, so a regression is visible. Usage:
`python bench/run.py [--sizes 10000,100000] [--runs 3]`.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
AS_OF = "2026-11-28"
DUNNING = str(Path(sys.executable).with_name("dunning"))


def ensure_ledger(size: int) -> Path:
    folder = OUT / (f"{size // 1000}k" if size % 1000 == 0 else str(size))
    if not (folder / "dunning.yaml").is_file() or len(os.listdir(folder / "debtors")) != size:
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating a {size:,}-debtor ledger in {folder} ...", flush=True)
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(size), str(folder)], check=True,
                       stdout=subprocess.DEVNULL)
    return folder


def best(runs: int, action: Callable[[], object], before: Callable[[], object] | None = None) -> float:
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        gc.collect()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def drop_cache(root: Path) -> None:
    shutil.rmtree(root / ".dunning", ignore_errors=True)


def in_subprocess(code: str, root: Path) -> float:
    """Seconds that `code` (a load of `root`) takes in a fresh interpreter, imports excluded."""
    script = (f"import time, sys\nfrom pathlib import Path\n{code.split('|')[0]}\nroot = Path(sys.argv[1])\n"
              f"start = time.perf_counter()\n{code.split('|')[1]}\n"
              "print(time.perf_counter() - start, flush=True)\nimport os\nos._exit(0)\n")
    done = subprocess.run([sys.executable, "-c", script, str(root)], check=True, capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


# Results are kept, not freed inside the timing: the commands never free them either (they end with
# os._exit after the output), and freeing the 2.8 million objects of a 100k ledger takes ~0.7 s.
LOAD = "from dunning.ledger import load_ledger|book = load_ledger(root)"
AGE = ("from dunning.ledger import load_ledger\nfrom dunning.aging import aging\nfrom datetime import date|"
       f"book = load_ledger(root); rows = aging(book.debtors, book.settings, date.fromisoformat('{AS_OF}'), "
       "settled=book.settled)")  # as `dunning age` calls it


def wall(command: list[str], runs: int) -> float:
    def run() -> None:
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode not in (0, 1):  # 1: the command found something (say, a deadline missed)
            raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr}")

    run()
    return best(runs, run)


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []
        self.missed = 0

    def add(self, what: str, seconds: float, target: float | None = None, note: str = "") -> None:
        verdict = ""
        if target is not None:
            ok = seconds <= target
            self.missed += not ok
            verdict = f"<= {target:g} s {'ok' if ok else 'MISSED'}"
        self.rows.append((what, f"{seconds:8.3f} s", verdict, note))
        print(f"  {what:<44} {seconds:8.3f} s   {verdict:<18} {note}", flush=True)


def bench_size(size: int, runs: int, table: Table) -> None:
    root = ensure_ledger(size)
    files = sorted((root / "debtors").iterdir())
    megabytes = sum(f.stat().st_size for f in files) / 1e6
    print(f"\n{size:,} debtors, {megabytes:.0f} MB of YAML ({megabytes * 1e3 / size:.1f} KB a file)")
    label = f"{size // 1000}k"
    every_file = f"find '{root}/debtors' -name '*.yaml' -print0 | xargs -0 cat > /dev/null"  # no ARG_MAX limit
    table.add(f"{label} floor: cat debtors/*", wall(["sh", "-c", every_file], runs))
    table.add(f"{label} floor: Python reads every file",
              best(runs, lambda: [f.read_bytes() for f in files]))
    cold_runs = 1 if size > 20_000 else max(1, runs - 1)
    colds = []
    for _ in range(cold_runs):
        drop_cache(root)
        colds.append(in_subprocess(LOAD, root))
    cold = min(colds)
    table.add(f"{label} load, cold (no dunning cache)", cold, 3.0 if size <= 10_000 else None,
              "parse + validate + write the cache")
    in_subprocess(LOAD, root)
    warm = min(in_subprocess(LOAD, root) for _ in range(runs))
    table.add(f"{label} load, warm", warm, 0.5 if size <= 10_000 else 3.0)
    age = min(in_subprocess(AGE, root) for _ in range(runs))
    table.add(f"{label} load + aging (library)", age, 0.6 if size <= 10_000 else None,
              f"{age / warm:.2f}x the bare load (target <= 1.5x)")
    table.missed += age > 1.5 * warm and size <= 10_000
    table.add(f"{label} `dunning age` (whole command)",
              wall([DUNNING, "age", "--ledger", str(root), "--as-of", AS_OF, "-f", "json"], runs),
              note="Python start-up and imports included")
    if size <= 10_000:
        table.add(f"{label} `dunning check` (deep, warm)",
                  wall([DUNNING, "check", "--ledger", str(root)], runs))
        for command in (["deadlines", "--as-of", AS_OF], ["agenda", "--date", AS_OF]):
            table.add(f"{label} `dunning {command[0]}`",
                      wall([DUNNING, *command, "--ledger", str(root), "-f", "json"], runs))
    debtor = files[len(files) // 2].name.removesuffix(".yaml")
    table.add(f"{label} `dunning show {debtor}`",
              wall([DUNNING, "show", debtor, "--ledger", str(root), "--as-of", AS_OF], runs),
              0.3 if size >= 100_000 else None, "reads one file")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="ledger sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the best is shown)")
    args = parser.parse_args()
    print(f"dunning benchmarks, {date.today()}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    table = Table()
    table.add("`dunning --help` (start-up)", wall([DUNNING, "--help"], args.runs), 0.3)
    for size in (int(s) for s in args.sizes.split(",")):
        bench_size(size, args.runs, table)
    print(f"\n{table.missed} target(s) missed" if table.missed else "\nevery target met")
    return 1 if table.missed else 0


if __name__ == "__main__":
    sys.exit(main())
