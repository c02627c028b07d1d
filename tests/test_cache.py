"""The warm cache of validated debtors (dunning/cache.py) is tested against exactly what it claims:

* an entry is served only when the file's stat (mtime_ns, size, inode, ctime_ns) matches and the file was not
  modified in the two seconds before the cache was written; otherwise the file's digest decides:
  same bytes (a `touch`) -> the entry is reused, else the file is parsed again;
* the cache is keyed by the tool's version and the source of model.py, records.py, ledger.py, cache.py,
  balances.py and settled.py (see test_settled.py for the settled balances it keeps);
* a cache that cannot be read, is corrupt or of another key is rebuilt, never fatal; one that cannot
  be written is skipped; it lives in `.dunning/`, which git never tracks.

To tell "served from the cache" from "parsed again", a few tests poison an entry (a different debtor
packed under the file's own stat) and see whether the poison comes back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from typer.testing import CliRunner

import dunning
from dunning import cache
from dunning.cli.app import app
from dunning.ledger import load_ledger
from dunning.model import Debtor

runner = CliRunner()
WriteLedger = Callable[..., Path]

ACME = """\
name: 甲公司
terms_days: 30
collector: zhang.san
invoices:
  - {id: INV-1, issued: 2025-01-01, amount: 100.00}
events:
  - {at: 2025-02-10T10:00:00+08:00, type: call, by: zhang.san, promise: {date: 2025-02-20, amount: 50}}
  - {at: 2025-02-20, type: payment, amount: 50.00, invoice: INV-1}
"""
HOUR_AGO = time.time_ns() - 3600 * 10**9


@pytest.fixture(autouse=True)
def _no_ledger_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DUNNING_LEDGER", raising=False)


def age(root: Path, ns: int = HOUR_AGO) -> None:
    """Every debtor file last modified at `ns` (an hour ago): outside the two-second racy window."""
    for path in (root / "debtors").glob("*.yaml"):
        os.utime(path, ns=(ns, ns))


def cache_file(root: Path) -> Path:
    return root / ".dunning" / "debtors.cache"


def read_cache(root: Path) -> dict[str, Any]:
    body = cache.unseal(cache_file(root).read_bytes())
    assert body is not None, "the cache's CRC does not match"
    document: dict[str, Any] = msgspec.msgpack.decode(body)
    return document


def write_cache(root: Path, document: dict[str, Any]) -> None:
    cache_file(root).write_bytes(cache.seal(msgspec.msgpack.encode(document)))


def poison(root: Path, debtor_id: str, **changes: Any) -> None:
    """Pack a different debtor into the entry of `debtor_id`, keeping its stat and digest."""
    document = read_cache(root)
    original = cache.unpack_debtor(msgspec.msgpack.encode(document["entries"][debtor_id][5]))
    document["entries"][debtor_id][5] = msgspec.Raw(cache.pack_debtor(original.model_copy(update=changes)))
    write_cache(root, document)


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on a debtor file that is parsed fails the test: everything must come from the cache."""

    def refuse(data: bytes | str, relpath: str) -> Debtor:
        raise AssertionError(f"{relpath} was parsed again")

    monkeypatch.setattr(cache, "parse_debtor", refuse)


def check(root: Path, *args: str) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["check", "--ledger", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout.splitlines()


def same_bytes_edit(path: Path, old: str, new: str) -> os.stat_result:
    """Rewrite a file in place (same inode) with a same-length replacement, then restore its mtime."""
    assert len(old.encode()) == len(new.encode())
    before = path.stat()
    path.write_bytes(path.read_bytes().replace(old.encode(), new.encode(), 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_mtime_ns, after.st_size, after.st_ino) == (before.st_mtime_ns, before.st_size, before.st_ino)
    return after


# ---------------------------------------------------------------------------------------------
# warm equals cold


def test_a_warm_load_equals_a_cold_load(sample_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    age(sample_copy)
    cold = load_ledger(sample_copy, cache=False)
    assert not (sample_copy / ".dunning").exists()
    load_ledger(sample_copy)  # writes the cache
    assert cache_file(sample_copy).is_file()
    no_parsing(monkeypatch)
    warm = load_ledger(sample_copy)
    assert list(warm.debtors) == list(cold.debtors)
    assert len(warm.debtors) >= 15
    for debtor_id, debtor in cold.debtors.items():
        served = warm.debtors[debtor_id]
        assert served == debtor
        assert served.model_dump() == debtor.model_dump()
        assert [type(e) for e in served.events] == [type(e) for e in debtor.events]
        for event, original in zip(served.events, debtor.events, strict=True):
            assert type(event.at) is type(original.at)
            if isinstance(original.at, datetime):
                assert event.at.utcoffset() == original.at.utcoffset()
        for invoice in served.invoices:
            assert type(invoice.amount) is Decimal and type(invoice.issued) is date
    assert check(sample_copy) == (0, [])


def test_poison_is_served_while_the_cache_is_trusted(write_ledger: WriteLedger) -> None:
    # The premise of the tests below: an entry is served as it is when the stat matches.
    root = write_ledger({"acme": ACME})
    age(root)
    load_ledger(root)
    poison(root, "acme", name="毒")
    assert load_ledger(root).debtors["acme"].name == "毒"
    assert load_ledger(root, cache=False).debtors["acme"].name == "甲公司"


# ---------------------------------------------------------------------------------------------
# edits are seen


def test_an_edit_right_after_the_cache_was_written_is_seen_despite_same_size_and_mtime(
        write_ledger: WriteLedger) -> None:
    # The racy case: the file was modified within two seconds of the cache write, so a later edit
    # that keeps size, inode and (restored) mtime must still be read.
    root = write_ledger({"acme": ACME})
    assert load_ledger(root).debtors["acme"].invoices[0].amount == Decimal("100.00")
    same_bytes_edit(root / "debtors" / "acme.yaml", "amount: 100.00", "amount: 900.00")
    assert load_ledger(root).debtors["acme"].invoices[0].amount == Decimal("900.00")


def test_an_editor_saving_by_rename_is_seen_despite_same_size_and_mtime(write_ledger: WriteLedger) -> None:
    root = write_ledger({"acme": ACME})
    age(root)
    path = root / "debtors" / "acme.yaml"
    load_ledger(root)
    load_ledger(root)  # served from the cache now
    before = path.stat()
    temporary = path.with_name(".acme.yaml.swp")
    temporary.write_text(ACME.replace("name: 甲公司", "name: 乙公司"), encoding="utf-8")
    os.utime(temporary, ns=(before.st_atime_ns, before.st_mtime_ns))
    temporary.replace(path)
    after = path.stat()
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
    assert after.st_ino != before.st_ino
    assert load_ledger(root).debtors["acme"].name == "乙公司"


def test_an_edit_with_an_older_mtime_is_seen(write_ledger: WriteLedger) -> None:
    # say `git checkout` of an older version: the mtime moves, but backwards
    root = write_ledger({"acme": ACME})
    age(root)
    load_ledger(root)
    path = root / "debtors" / "acme.yaml"
    path.write_text(ACME.replace("amount: 100.00", "amount: 300.00"), encoding="utf-8")
    os.utime(path, ns=(HOUR_AGO - 3600 * 10**9,) * 2)
    assert load_ledger(root).debtors["acme"].invoices[0].amount == Decimal("300.00")


def test_a_touch_changes_no_data_and_reuses_the_entry(
        write_ledger: WriteLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_ledger({"acme": ACME})
    age(root)
    cold = load_ledger(root).debtors["acme"]
    path = root / "debtors" / "acme.yaml"
    os.utime(path, ns=(HOUR_AGO + 10**9,) * 2)
    no_parsing(monkeypatch)  # same bytes: the digest matches, the entry is reused
    assert load_ledger(root).debtors["acme"] == cold
    assert read_cache(root)["entries"]["acme"][0] == HOUR_AGO + 10**9  # and the new stat is kept


def test_a_removed_or_renamed_file_leaves_no_ghost(write_ledger: WriteLedger) -> None:
    root = write_ledger({"acme": ACME, "beta": ACME.replace("INV-1", "INV-2").replace("甲公司", "乙公司")})
    age(root)
    load_ledger(root)
    (root / "debtors" / "beta.yaml").unlink()
    assert list(load_ledger(root).debtors) == ["acme"]
    (root / "debtors" / "acme.yaml").rename(root / "debtors" / "gamma.yaml")
    assert list(load_ledger(root).debtors) == ["gamma"]
    assert list(read_cache(root)["entries"]) == ["gamma"]


def test_errors_are_never_cached(write_ledger: WriteLedger) -> None:
    root = write_ledger({"acme": ACME, "beta": ACME.replace("甲公司", "乙公司"),
                         "broken": ACME.replace("amount: 100.00", "amount: 100.001")})
    age(root)
    expected = ["debtors/beta.yaml:5:6: invoices[0].id: invoice id 'INV-1' is already used in debtors/acme.yaml",
                "debtors/broken.yaml:5:37: invoices[0].amount: amount has more than 2 decimals: '100.001'"]
    assert check(root) == (1, expected)
    assert sorted(read_cache(root)["entries"]) == ["acme", "beta"]
    assert check(root) == (1, expected)


# ---------------------------------------------------------------------------------------------
# a cache that cannot be trusted is rebuilt


def valid_cache_bytes(root: Path) -> bytes:
    load_ledger(root)
    return cache_file(root).read_bytes()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "a-list", "entries-not-a-map", "no-written",
                                    "sealed-garbage", "a-flipped-byte", "no-crc"])
def test_a_corrupt_cache_is_rebuilt_not_fatal(write_ledger: WriteLedger, damage: str) -> None:
    root = write_ledger({"acme": ACME})
    age(root)
    good = valid_cache_bytes(root)
    cold = load_ledger(root, cache=False).debtors
    document = read_cache(root)
    broken = {
        "garbage": b"\x00\xffnot msgpack at all\xc1" * 10,
        "truncated": good[: len(good) // 2],
        "empty": b"",
        "a-list": cache.seal(msgspec.msgpack.encode([1, 2, 3])),
        "entries-not-a-map": cache.seal(msgspec.msgpack.encode({**document, "entries": "acme"})),
        "no-written": cache.seal(msgspec.msgpack.encode({"key": document["key"], "entries": document["entries"]})),
        "sealed-garbage": cache.seal(b"\x00\xffnot msgpack at all\xc1"),
        # 100.00 -> 900.00 inside the packed debtor: it still decodes, but the CRC no longer matches
        "a-flipped-byte": good.replace(b"100.00", b"900.00", 1),
        "no-crc": good[:-4],
    }[damage]
    if damage == "a-flipped-byte":
        assert broken != good
    cache_file(root).write_bytes(broken)
    assert load_ledger(root).debtors == cold
    rebuilt = read_cache(root)
    assert rebuilt["key"] == cache.cache_key()
    assert list(rebuilt["entries"]) == ["acme"]
    assert check(root) == (0, [])


@pytest.mark.parametrize("packed", [b"\xc1", msgspec.msgpack.encode([0]), msgspec.msgpack.encode("not a debtor"),
                                    msgspec.Raw(msgspec.msgpack.encode([0])),
                                    msgspec.Raw(msgspec.msgpack.encode(["甲公司", None])),
                                    msgspec.Raw(msgspec.msgpack.encode({"name": "甲公司"}))])
def test_a_damaged_entry_is_parsed_again(write_ledger: WriteLedger, packed: bytes | msgspec.Raw) -> None:
    root = write_ledger({"acme": ACME})
    age(root)
    load_ledger(root)
    document = read_cache(root)
    document["entries"]["acme"][5] = packed
    write_cache(root, document)
    assert load_ledger(root).debtors["acme"] == load_ledger(root, cache=False).debtors["acme"]


def test_a_cache_of_another_version_is_ignored(write_ledger: WriteLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_ledger({"acme": ACME})
    age(root)
    load_ledger(root)
    poison(root, "acme", name="毒")
    monkeypatch.setattr(dunning, "__version__", dunning.__version__ + ".post1")
    assert load_ledger(root).debtors["acme"].name == "甲公司"
    assert read_cache(root)["key"] == cache.cache_key()


def fake_sources(folder: Path, model_suffix: str) -> Path:
    folder.mkdir()
    for name in cache.KEY_SOURCES:
        shutil.copy(Path(cache.__file__).with_name(name), folder / name)
    with (folder / "model.py").open("a", encoding="utf-8") as model:
        model.write(model_suffix)
    return folder / "cache.py"


def test_a_cache_of_another_schema_is_ignored(
        write_ledger: WriteLedger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_ledger({"acme": ACME})
    age(root)
    load_ledger(root)
    poison(root, "acme", name="毒")
    # the same sources elsewhere give the same key (the key is made of them) ...
    monkeypatch.setattr(cache, "__file__", str(fake_sources(tmp_path / "same", "")))
    assert load_ledger(root).debtors["acme"].name == "毒"
    # ... and one change to model.py gives another: the old cache is not read
    monkeypatch.setattr(cache, "__file__", str(fake_sources(tmp_path / "changed", "\n# a new field\n")))
    assert load_ledger(root).debtors["acme"].name == "甲公司"


# ---------------------------------------------------------------------------------------------
# where the cache lives, and --no-cache


def test_no_cache_neither_reads_nor_creates_the_cache(write_ledger: WriteLedger) -> None:
    root = write_ledger({"acme": ACME})
    assert check(root, "--no-cache") == (0, [])
    assert not (root / ".dunning").exists()
    age(root)
    assert check(root) == (0, [])
    poison(root, "acme", collector="zhao.liu")
    unknown = ("debtors/acme.yaml:3:1: collector: unknown collector 'zhao.liu' (dunning.yaml collectors: "
               "zhang.san, li.si)")
    assert check(root) == (1, [unknown])  # the poisoned cache is read ...
    assert check(root, "--no-cache") == (0, [])  # ... and --no-cache does not read it


def test_a_cache_that_cannot_be_written_is_skipped(write_ledger: WriteLedger) -> None:
    root = write_ledger({"acme": ACME})
    (root / ".dunning").write_text("a file where the cache folder would be", encoding="utf-8")
    assert check(root) == (0, [])
    assert load_ledger(root).debtors["acme"].name == "甲公司"


def test_git_never_tracks_the_cache(write_ledger: WriteLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write_ledger({"acme": ACME})
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(root.parent))
    subprocess.run(["git", "init", "-q", str(root)], check=True)  # no .gitignore of the ledger's own
    assert check(root) == (0, [])
    assert cache_file(root).is_file()
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=all"],
                            capture_output=True, text=True, check=True).stdout
    assert status.splitlines() == ["?? debtors/acme.yaml", "?? dunning.yaml"]


def test_an_in_place_edit_with_its_mtime_put_back_is_seen_by_its_ctime(
        write_ledger: WriteLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    # Outside the racy window (set to nothing here), same size, same inode, mtime restored: only the
    # ctime, which os.utime cannot set, tells the edit.
    monkeypatch.setattr(cache, "RACY_NS", 0)
    root = write_ledger({"acme": ACME})
    age(root)
    assert load_ledger(root).debtors["acme"].invoices[0].amount == Decimal("100.00")
    time.sleep(0.05)  # file times advance by the kernel's tick
    same_bytes_edit(root / "debtors" / "acme.yaml", "amount: 100.00", "amount: 900.00")
    assert load_ledger(root).debtors["acme"].invoices[0].amount == Decimal("900.00")


@pytest.mark.parametrize("ahead", [True, False], ids=["stats-in-a-thread", "stats-in-line"])
def test_stats_taken_ahead_in_a_thread_give_the_same_load(
        write_ledger: WriteLedger, monkeypatch: pytest.MonkeyPatch, ahead: bool) -> None:
    """Large ledgers take the files' stats in a thread while the cache is read: the same debtors,
    the same errors (a vanished file, a symbolic link), the same hits, as taken one by one."""
    root = write_ledger({"acme": ACME, "beta": ACME.replace("INV-1", "INV-2"),
                         "gamma": ACME.replace("INV-1", "INV-3")})
    (root / "debtors" / "link.yaml").symlink_to(root / "debtors" / "acme.yaml")
    age(root)
    monkeypatch.setattr(cache, "STAT_AHEAD_FROM", 1 if ahead else 10**9)
    real_lstat = os.lstat

    def vanishing(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if str(path).endswith("gamma.yaml"):
            raise FileNotFoundError(2, "No such file or directory")
        return real_lstat(path, *args, **kwargs)

    for _ in range(2):  # cold, then warm (every entry served from the cache)
        monkeypatch.setattr(cache.os, "lstat", vanishing)
        book = load_ledger(root, collect=True)
        monkeypatch.setattr(cache.os, "lstat", real_lstat)
        assert list(book.debtors) == ["acme", "beta"]
        assert sorted(str(e) for e in book.warnings) == [
            "debtors/gamma.yaml:1:1: cannot read: No such file or directory",
            "debtors/link.yaml:1:1: not a plain file (a symbolic link or a folder): debtor files must be plain "
            "files inside the ledger"]
        no_parsing(monkeypatch)
