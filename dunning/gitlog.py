"""Everything that talks to git: one commit per write, a debtor's history, the append-only proof, merges, hooks.

Git is driven through the `git` command (`subprocess`), the same program the user runs: its
configuration, identity, signing and locks apply unchanged. This is the only module that runs git.

Events are compared by meaning, not by text: two versions of an event are the same when they read
as the same data (`amount: 50000` and `amount: 50000.00` are one amount), so re-quoting or a new
comment is not a change, while a different amount, date or summary is.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from dunning.ledger import DEBTORS_DIR
from dunning.ledger import SETTINGS_FILE
from dunning.ledger import ExactLoader
from dunning.ledger import LedgerError
from dunning.ledger import LedgerErrors
from dunning.ledger import load_settings
from dunning.ledger import parse_debtor
from dunning.ledger import parse_settings
from dunning.ledger import parse_yaml

ZERO_SHA = "0" * 40
MERGE_DRIVER = "dunning"
HOOK_MARK = "# dunning pre-commit hook"
ATTRIBUTES_LINE = f"{DEBTORS_DIR}/*.yaml merge={MERGE_DRIVER}"


class GitError(Exception):
    """git failed; the message is git's own explanation."""


# ---------------------------------------------------------------------------------------------
# running git


def _run(cwd: Path, *args: str, stdin: bytes | None = None, check: bool = True,
         retry_lock: bool = False) -> subprocess.CompletedProcess[bytes]:
    """Run `git args...` in `cwd`. With `retry_lock`, wait (up to ~10 s) for another git holding index.lock."""
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    for attempt in range(100):
        try:
            result = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, env=env,
                                    check=False)
        except FileNotFoundError:
            raise GitError("git is not installed (no `git` on PATH)") from None
        if result.returncode == 0 or not check:
            return result
        message = result.stderr.decode("utf-8", "replace").strip()
        if retry_lock and "index.lock" in message and attempt < 99:
            time.sleep(0.1)
            continue
        raise GitError(message or f"git {args[0]} failed with exit {result.returncode}")
    raise GitError("git: the index stayed locked")  # pragma: no cover - the loop returns or raises


def _text(result: subprocess.CompletedProcess[bytes]) -> str:
    return result.stdout.decode("utf-8", "replace").strip()


def repository_top(root: Path) -> Path | None:
    """The top folder of the git work tree holding `root`, or None when `root` is not in one."""
    try:
        result = _run(root, "rev-parse", "--show-toplevel", check=False)
    except GitError:
        return None
    if result.returncode != 0:
        return None
    return Path(_text(result))


def _has_head(root: Path) -> bool:
    return _run(root, "rev-parse", "--verify", "-q", "HEAD", check=False).returncode == 0


def git_user(root: Path) -> tuple[str | None, str | None]:
    """`user.name` and `user.email` as git would use them for a commit here (None when unset)."""
    values: list[str | None] = []
    for key in ("user.name", "user.email"):
        try:
            result = _run(root, "config", "--get", key, check=False)
        except GitError:
            return None, None
        values.append(_text(result) or None if result.returncode == 0 else None)
    return values[0], values[1]


def head_text(root: Path, relpath: str) -> str | None:
    """A file of the ledger as committed in HEAD (None: no HEAD, not tracked, or not in git)."""
    try:
        result = _run(root, "show", f"HEAD:./{relpath}", check=False)
    except GitError:
        return None
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", "replace")


def commit_paths(root: Path, paths: Sequence[Path], message: str) -> str | None:
    """Commit exactly these files (and nothing else the user has staged), when they changed.

    Returns the new commit's id, or None when nothing changed or the ledger is not in git. Paths
    ignored by git (say an ignored `evidence/` folder) are left out. Uses `git commit --only`,
    so other staged or unstaged changes stay where they are; hooks are skipped (`--no-verify`)
    because a write validates itself before it touches the file.
    """
    if repository_top(root) is None:
        return None
    relative = []
    for path in paths:
        absolute = path if path.is_absolute() else root / path
        relative.append(os.path.relpath(absolute, root))
    if not relative:
        return None
    ignored_result = _run(root, "check-ignore", "-z", "--", *relative, check=False)
    ignored = {p for p in ignored_result.stdout.decode("utf-8").split("\0") if p}
    wanted = [p for p in relative if p not in ignored and (root / p).exists()]
    gone = [p for p in relative if p not in ignored and not (root / p).exists()]
    if not wanted and not gone:
        return None
    _run(root, "add", "-A", "--", *wanted, *gone, retry_lock=True)
    if _has_head(root) and _run(root, "diff", "--cached", "--quiet", "HEAD", "--", *wanted, *gone,
                                check=False).returncode == 0:
        return None
    _run(root, "commit", "--no-verify", "-q", "--only", "-m", message, "--", *wanted, *gone, retry_lock=True)
    return _text(_run(root, "rev-parse", "HEAD"))


# ---------------------------------------------------------------------------------------------
# events compared by meaning


def _plain(value: Any) -> Any:
    """Data reduced to JSON values so that equal meanings give equal text."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            return f"n:{number}"
        return "n:" + format(number.normalize(), "f")
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return "t:" + value.astimezone(UTC).isoformat()
        return "t:" + value.isoformat()
    if isinstance(value, date):
        return "d:" + value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return "s:" + str(value)


def event_key(event: Any) -> str:
    """A key equal for two events that say the same thing."""
    return json.dumps(_plain(event), sort_keys=True, ensure_ascii=False)


def _document(data: bytes | str | None) -> dict[str, Any] | None:
    """A debtor file as data, or None when it is not a readable mapping (a broken historical version)."""
    if data is None:
        return None
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        document = parse_yaml(raw, "blob")
    except LedgerErrors:
        return None
    return document if isinstance(document, dict) else None


def _events_of(document: dict[str, Any] | None) -> list[Any] | None:
    if document is None:
        return None
    events = document.get("events")
    if events is None:
        return []
    return events if isinstance(events, list) else None


def events_in(data: bytes | str | None) -> list[Any] | None:
    """The events of a debtor file's text as plain data (None when the text is not a readable file)."""
    return _events_of(_document(data))


def first_lost_event(old: Sequence[Any], new: Sequence[Any]) -> int | None:
    """Index of the first old event that is not kept, in order, in `new`; None when all are.

    The rule of the append-only proof: the events of a version must be a subsequence of those of
    the next version (usually a prefix; a merge may put the other side's events in between).
    """
    new_keys = [event_key(e) for e in new]
    position = 0
    for index, event in enumerate(old):
        key = event_key(event)
        while position < len(new_keys) and new_keys[position] != key:
            position += 1
        if position == len(new_keys):
            return index
        position += 1
    return None


def first_missing_event(old: Sequence[Any], new: Sequence[Any]) -> int | None:
    """Index of the first old event that `new` does not hold at all (as a multiset); None when all are.

    The rule for a merge commit: the union of the parents' events must be in the result. A merge may
    interleave the two sides, and two events recorded in the same second may come out in either order.
    """
    remaining = Counter(event_key(e) for e in new)
    for index, event in enumerate(old):
        key = event_key(event)
        if remaining[key] == 0:
            return index
        remaining[key] -= 1
    return None


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else value
        if number.is_finite() and number == number.quantize(Decimal("0.01")):
            return f"{number:.2f}"  # the only decimals in a ledger are amounts
        return str(number)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def event_label(event: Any) -> str:
    """`2025-05-02 payment 50000.00` for messages about an event of any shape."""
    if not isinstance(event, dict):
        return _show(event)
    parts = [_show(event.get("at")), str(event.get("type", "?"))]
    for key in ("amount", "with", "status", "action"):
        if event.get(key) is not None:
            parts.append(_show(event[key]))
    return " ".join(parts)


def _field_changes(old: Any, new: Any) -> str:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return f"{_show(old)} -> {_show(new)}"
    changes = []
    for key in [*old, *(k for k in new if k not in old)]:
        if event_key(old.get(key)) != event_key(new.get(key)):
            changes.append(f"{key} {_show(old.get(key))} -> {_show(new.get(key))}")
    return "; ".join(changes)


def _same_moment(lost: Any, candidate: Any) -> bool:
    return (isinstance(candidate, dict) and isinstance(lost, dict)
            and event_key(candidate.get("at")) == event_key(lost.get("at"))
            and candidate.get("type") == lost.get("type"))


def describe_missing(old: Sequence[Any], new: Sequence[Any], index: int) -> tuple[str, int | None]:
    """Like `describe_loss`, for the multiset rule: an event of `new` at the same moment that `old` lacks."""
    lost = old[index]
    known = {event_key(e) for e in old}
    for position, candidate in enumerate(new):
        if event_key(candidate) not in known and _same_moment(lost, candidate):
            return f"was changed: {_field_changes(lost, candidate)}", position
    return "was removed", None


def describe_loss(old: Sequence[Any], new: Sequence[Any], index: int) -> tuple[str, int | None]:
    """What happened to old event `index`: changed (and how) or removed; and its index in `new`."""
    new_keys = [event_key(e) for e in new]
    position = 0
    for event in old[:index]:
        key = event_key(event)
        while new_keys[position] != key:
            position += 1
        position += 1
    lost = old[index]
    if position < len(new):
        candidate = new[position]
        if _same_moment(lost, candidate):
            return f"was changed: {_field_changes(lost, candidate)}", position
    return "was removed", position if position < len(new) else None


# ---------------------------------------------------------------------------------------------
# reading many blobs and commits


def _blobs(root: Path, shas: Iterable[str]) -> dict[str, bytes]:
    """Blob contents by id, read by one `git cat-file --batch`."""
    wanted = sorted({s for s in shas if s and s != ZERO_SHA})
    if not wanted:
        return {}
    output = _run(root, "cat-file", "--batch", stdin=("\n".join(wanted) + "\n").encode()).stdout
    blobs: dict[str, bytes] = {}
    offset = 0
    for sha in wanted:
        end = output.index(b"\n", offset)
        header = output[offset:end].split()
        offset = end + 1
        if len(header) < 3 or header[1] == b"missing":
            continue
        size = int(header[2])
        blobs[sha] = output[offset:offset + size]
        offset += size + 1
    return blobs


@dataclass
class FileChange:
    """One file's change in one commit against one parent, from `git log --raw`."""

    commit: str
    parents: list[str]
    author: str
    email: str
    when: str
    subject: str
    status: str
    old_sha: str
    new_sha: str
    old_path: str
    new_path: str
    parent_index: int = 0


def _parse_raw_log(output: bytes) -> list[FileChange]:
    """`git log --raw -z` with the header `%x01%H%x00%P%x00%an%x00%ae%x00%aI%x00%s`."""
    changes: list[FileChange] = []
    seen: Counter[str] = Counter()
    for chunk in output.split(b"\x01")[1:]:
        tokens = chunk.decode("utf-8", "replace").split("\0")
        commit, parents, author, email, when, subject = tokens[:6]
        seen[commit] += 1
        rest = [t.lstrip("\n") for t in tokens[6:]]
        index = 0
        while index < len(rest):
            meta = rest[index]
            if not meta.startswith(":"):
                index += 1
                continue
            fields = meta[1:].split()
            status = fields[4]
            old_path = rest[index + 1]
            if status[0] in "RC":
                new_path = rest[index + 2]
                index += 3
            else:
                new_path = old_path
                index += 2
            changes.append(FileChange(commit, parents.split(), author, email, when, subject, status[0],
                                      fields[2], fields[3], old_path, new_path, seen[commit] - 1))
    return changes


_LOG_FORMAT = "--format=%x01%H%x00%P%x00%an%x00%ae%x00%aI%x00%s"


def _is_debtor_path(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 2 and parts[0] == DEBTORS_DIR and parts[1].endswith(".yaml")


def _check_change(change: FileChange, blobs: dict[str, bytes], where: str, *,
                  merge: bool = False) -> LedgerError | None:
    """The append-only rule for one file change; an error naming the commit, author and event.

    A commit must keep the events of its parent in order (a subsequence; usually a prefix); a merge
    must keep every event of each parent (a multiset: it may interleave two sides' events).
    """
    if change.status == "A" or not _is_debtor_path(change.old_path):
        return None
    old_events = _events_of(_document(blobs.get(change.old_sha)))
    if not old_events:
        return None
    who = f"in {where} by {change.author} <{change.email}> on {change.when[:10]}"
    if change.status == "D" or change.new_sha == ZERO_SHA or not _is_debtor_path(change.new_path):
        return LedgerError(change.old_path, 1, 1, f"deleted {who}: its {len(old_events)} recorded event(s) "
                           f"were removed (first: {event_label(old_events[0])})")
    new_text = blobs.get(change.new_sha)
    new_events = _events_of(_document(new_text))
    if new_events is None:
        return None  # an unreadable version proves nothing; the next readable one is compared
    lost = (first_missing_event if merge else first_lost_event)(old_events, new_events)
    if lost is None:
        return None
    what, position = (describe_missing if merge else describe_loss)(old_events, new_events, lost)
    line = _event_line(new_text, position) if position is not None else 1
    return LedgerError(change.new_path, line, 1,
                       f"events[{lost}] ({event_label(old_events[lost])}) {what} {who}")


def _event_line(text: bytes | None, index: int) -> int:
    if text is None:
        return 1
    try:
        shape = layout(text.decode("utf-8", "replace"))
    except LayoutError:
        return 1
    if index >= len(shape.items):
        return 1
    return shape.item_lines[index] + 1


def verify_history(root: Path) -> list[LedgerError]:
    """Prove from git that no recorded event was ever changed or removed in any debtor file.

    For every commit and every parent (merges too) in the history of HEAD, the events of each
    debtor file in the parent must reappear, in order, in the commit: nothing changed, nothing
    removed, nothing reordered. Errors name the commit, its author and the event.
    """
    if repository_top(root) is None:
        return [LedgerError(SETTINGS_FILE, 1, 1, "--history: the ledger is not in a git repository, "
                            "so there is no history to check")]
    if not _has_head(root):
        return []
    output = _run(root, "log", "--full-history", "--diff-merges=separate", "--raw", "-z", "-M",
                  "--no-abbrev", "--relative", _LOG_FORMAT, "HEAD", "--", f"{DEBTORS_DIR}/").stdout
    changes = [c for c in _parse_raw_log(output) if c.status in "MDR"]
    blobs = _blobs(root, [s for c in changes for s in (c.old_sha, c.new_sha)])
    errors = []
    for change in reversed(changes):  # oldest first
        where = f"commit {change.commit[:12]}"
        if len(change.parents) > 1:
            where = (f"merge commit {change.commit[:12]} (dropped from parent "
                     f"{change.parents[change.parent_index][:12]})")
        error = _check_change(change, blobs, where, merge=len(change.parents) > 1)
        if error is not None:
            errors.append(error)
    return errors


def verify_staged(root: Path) -> list[LedgerError]:
    """What the pre-commit hook checks: staged debtor files pass `check` and keep every event of HEAD."""
    from dunning.checks import cross_checks
    from dunning.checks import validate_debtor
    from dunning.ledger import load_ledger

    output = _run(root, "diff", "--cached", "--raw", "-z", "-M", "--no-abbrev", "--relative",
                  "--", f"{DEBTORS_DIR}/", SETTINGS_FILE).stdout
    changes = _parse_raw_log(b"\x01x\0\0?\0?\0?\0?\0" + output)
    blobs = _blobs(root, [s for c in changes for s in (c.old_sha, c.new_sha)])
    errors: list[LedgerError] = []
    settings = None
    staged_settings = [c for c in changes if c.new_path == SETTINGS_FILE and c.new_sha != ZERO_SHA]
    try:
        settings = (parse_settings(blobs[staged_settings[0].new_sha]) if staged_settings
                    else load_settings(root))
    except LedgerErrors as bad:
        errors.extend(bad.errors)
    merging = _run(root, "rev-parse", "-q", "--verify", "MERGE_HEAD", check=False).returncode == 0
    staged: dict[str, Any] = {}
    for change in changes:
        if change.new_path == SETTINGS_FILE:
            continue
        if change.status != "A":
            error = _check_change(change, blobs, "this commit", merge=merging)
            if error is not None:
                errors.append(LedgerError(error.file, error.line, error.column,
                                          error.message.split(" in this commit")[0]
                                          + " (recorded events may only be added to; commit with "
                                          "--no-verify only if this is deliberate)"))
        if change.new_sha == ZERO_SHA or not _is_debtor_path(change.new_path):
            continue
        debtor_id = change.new_path.split("/")[1][:-5]
        try:
            staged[debtor_id] = parse_debtor(blobs[change.new_sha], change.new_path)
        except LedgerErrors as bad:
            errors.extend(bad.errors)
    if settings is not None and staged:
        for debtor_id, debtor in staged.items():
            errors.extend(e for e in validate_debtor(root, settings, debtor_id, debtor) if e.severity == "error")
        try:
            whole = load_ledger(root, collect=True).debtors
        except LedgerErrors:
            whole = {}
        whole.update(staged)
        names = {f"{DEBTORS_DIR}/{i}.yaml" for i in staged}
        errors.extend(e for e in cross_checks(root, settings, whole) if e.file in names and e.severity == "error")
    return sorted(set(errors))


# ---------------------------------------------------------------------------------------------
# a debtor's history


@dataclass
class FactChange:
    field: str
    old: str | None
    new: str | None


@dataclass
class HistoryEntry:
    """What one commit did to one debtor file."""

    commit: str
    author: str
    email: str
    when: str
    message: str
    path: str
    created: bool = False
    deleted: bool = False
    renamed_from: str | None = None
    events_added: list[Any] = field(default_factory=list)
    events_removed: list[Any] = field(default_factory=list)
    facts: list[FactChange] = field(default_factory=list)


def _facts_view(data: bytes | None, relpath: str) -> dict[str, str]:
    """The facts of one version flattened to `contacts[0].mobile -> value`, amounts as in the model."""
    if data is None:
        return {}
    try:
        debtor = parse_debtor(data, relpath)
        document: Any = debtor.model_dump(mode="python", by_alias=True, exclude_none=True, exclude_defaults=True)
    except LedgerErrors:
        document = _document(data) or {}
    flat: dict[str, str] = {}

    def walk(value: Any, prefix: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{prefix}.{key}" if prefix else str(key))
        elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
            for index, inner in enumerate(value):
                walk(inner, f"{prefix}[{index}]")
        else:
            flat[prefix] = _show(value)

    walk({k: v for k, v in document.items() if k != "events"}, "")
    return flat


def _fact_changes(old: dict[str, str], new: dict[str, str]) -> list[FactChange]:
    changes: list[FactChange] = []
    done: set[str] = set()
    for path in [*new, *(p for p in old if p not in new)]:
        if path in done or old.get(path) == new.get(path):
            continue
        match = re.match(r"^([^.\[]+\[\d+\])", path)
        item = match.group(1) if match else None
        if item is not None:
            in_old = {p: v for p, v in old.items() if p.startswith(item + ".") or p == item}
            in_new = {p: v for p, v in new.items() if p.startswith(item + ".") or p == item}
            if not in_old or not in_new:
                side = in_new or in_old
                shown = "{" + ", ".join(f"{p[len(item) + 1:]}: {v}" for p, v in side.items()) + "}"
                changes.append(FactChange(item, None if not in_old else shown, None if not in_new else shown))
                done.update(side)
                continue
        changes.append(FactChange(path, old.get(path), new.get(path)))
        done.add(path)
    return changes


def _multiset_minus(left: Sequence[Any], right: Sequence[Any]) -> list[Any]:
    remaining = Counter(event_key(e) for e in right)
    out = []
    for event in left:
        key = event_key(event)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            out.append(event)
    return out


def debtor_history(root: Path, debtor_id: str) -> list[HistoryEntry]:
    """Every commit that touched `debtors/<id>.yaml` (following renames), oldest first.

    Merge commits are left out: what they bring in is shown at the commits that made it.
    Raises GitError when the ledger is not in git.
    """
    if repository_top(root) is None:
        raise GitError("the ledger is not in a git repository: there is no history")
    if not _has_head(root):
        return []
    relpath = f"{DEBTORS_DIR}/{debtor_id}.yaml"
    output = _run(root, "log", "--follow", "-M", "--raw", "-z", "--no-abbrev", _LOG_FORMAT, "--",
                  relpath).stdout
    changes = [c for c in _parse_raw_log(output) if len(c.parents) <= 1]
    blobs = _blobs(root, [s for c in changes for s in (c.old_sha, c.new_sha)])
    prefix = _ledger_prefix(root)

    def in_ledger(path: str) -> str:
        return path[len(prefix) + 1:] if prefix != "." and path.startswith(prefix + "/") else path

    entries = []
    for change in reversed(changes):
        old = blobs.get(change.old_sha)
        new = blobs.get(change.new_sha)
        old_events = _events_of(_document(old)) or []
        new_events = _events_of(_document(new)) or []
        entries.append(HistoryEntry(
            commit=change.commit, author=change.author, email=change.email, when=change.when,
            message=change.subject, path=in_ledger(change.new_path),
            created=change.status == "A", deleted=change.status == "D",
            renamed_from=in_ledger(change.old_path) if change.status == "R" else None,
            events_added=_multiset_minus(new_events, old_events),
            events_removed=_multiset_minus(old_events, new_events),
            facts=_fact_changes(_facts_view(old, relpath), _facts_view(new, relpath)),
        ))
    return entries


# ---------------------------------------------------------------------------------------------
# the text of a debtor file: facts, then the events list split into one block per event


class LayoutError(Exception):
    """The file's text cannot be split into facts and events (then only a plain text merge is possible)."""


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_dash(line: str, column: int) -> bool:
    return (len(line) > column and line[column] == "-" and line[:column].strip() == ""
            and (len(line) == column + 1 or line[column + 1] in " \t\r\n"))


@dataclass
class FileLayout:
    """A debtor file cut at its `events:` key: facts lines, the header, one block of lines per event."""

    facts: list[str]
    header: str | None
    inline_empty: bool
    column: int | None
    lead: list[str]
    items: list[list[str]]
    item_lines: list[int]
    tail: list[str]
    newline: str = "\n"


_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def layout(text: str) -> FileLayout:
    """Split a debtor file. `events` must be the last top-level key, a block list or empty."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    try:
        root = yaml.compose(text, Loader=_COMPOSER)
    except yaml.YAMLError as error:
        raise LayoutError(f"not readable as YAML: {error}") from None
    if root is None:
        return FileLayout(lines, None, False, None, [], [], [], [], newline)
    if not isinstance(root, yaml.MappingNode):
        raise LayoutError("a debtor file must be a mapping of keys")
    keys = [k for k, _ in root.value]
    found = [i for i, k in enumerate(keys) if isinstance(k, yaml.ScalarNode) and k.value == "events"]
    if not found:
        return FileLayout(lines, None, False, None, [], [], [], [], newline)
    key_node, value = root.value[found[0]]
    if found[0] != len(keys) - 1:
        raise LayoutError("events must be the last key of the file")
    if key_node.start_mark.column != 0:
        raise LayoutError("the events key must start at the beginning of its line")
    at = key_node.start_mark.line
    facts, header = lines[:at], lines[at]
    body = lines[at + 1:]
    if isinstance(value, yaml.ScalarNode):
        if value.value not in ("", "~", "null", "Null", "NULL"):
            raise LayoutError("events must be a list")
        inline = value.value != "" and value.start_mark.line == at
        return FileLayout(facts, header, inline, None, body, [], [], [], newline)
    if not isinstance(value, yaml.SequenceNode):
        raise LayoutError("events must be a list")
    if value.flow_style:
        if value.value:
            raise LayoutError("events is written as a [flow, list]; write one `- ` item per event")
        return FileLayout(facts, header, True, None, body, [], [], [], newline)
    column = value.start_mark.column
    lead: list[str] = []
    items: list[list[str]] = []
    item_lines: list[int] = []
    pending: list[str] = []
    for offset, line in enumerate(body):
        if not _content(line):
            pending.append(line)
            continue
        if _is_dash(line, column):
            items.append([*pending, line])
            item_lines.append(at + 1 + offset)
            pending = []
        elif _indent(line) > column and items:
            items[-1].extend([*pending, line])
            pending = []
        else:
            raise LayoutError(f"line {at + 2 + offset}: not part of the events list")
    if not items:
        lead, pending = pending, []
    return FileLayout(facts, header, False, column, lead, items, item_lines, pending, newline)


# ---------------------------------------------------------------------------------------------
# merging two versions of a debtor file: facts three-way, events as a union in time order


class _Unsplittable(Exception):
    pass


_KEY = re.compile(r"""(?P<key>"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s#'"?:,\[\]{}&*!|>%@`-][^:#]*?|-[^\s:#][^:#]*?)"""
                  r"""[ \t]*:(?:[ \t]+|$)""")


def _unquote(key: str) -> str:
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
        return key[1:-1]
    return key


def _load(text: str) -> Any:
    return yaml.load(text, Loader=ExactLoader)  # noqa: S506 - ExactLoader is a SafeLoader


@dataclass
class _Part:
    """One block of lines: a mapping entry (`key: ...`) or a list item (`- ...`) with its comments."""

    key: str
    lines: list[str]
    item: bool
    _value: Any = None
    _parsed: bool = False

    @property
    def text(self) -> str:
        return "".join(self.lines)

    @property
    def value(self) -> Any:
        if not self._parsed:
            try:
                self._value = _load(self.text)
            except yaml.YAMLError:
                self._value = ("unreadable", self.text)
            self._parsed = True
        return self._value

    @property
    def meaning(self) -> str:
        return event_key(self.value)


def _split_mapping(lines: list[str], indent: int) -> tuple[list[str], list[_Part], list[str]]:
    head: list[str] = []
    parts: list[_Part] = []
    pending: list[str] = []
    for line in lines:
        if not _content(line):
            pending.append(line)
            continue
        column = _indent(line)
        if not parts and column == 0 and line.startswith(("---", "%")):
            head.extend([*pending, line])
            pending = []
        elif column == indent and not _is_dash(line, indent):
            match = _KEY.match(line, indent)
            if not match:
                raise _Unsplittable
            parts.append(_Part(_unquote(match["key"]), [*pending, line], item=False))
            pending = []
        elif parts and (column > indent or _is_dash(line, indent)):
            parts[-1].lines.extend([*pending, line])
            pending = []
        else:
            raise _Unsplittable
    if len({p.key for p in parts}) != len(parts):
        raise _Unsplittable
    return head, parts, pending


def _identity(value: Any) -> str:
    item = value[0] if isinstance(value, list) and len(value) == 1 else value
    if isinstance(item, dict):
        for name in ("id", "name", "guarantor"):
            if isinstance(item.get(name), str | int):
                return f"{name}={item[name]}"
    return event_key(item)


def _split_sequence(lines: list[str], column: int) -> tuple[list[str], list[_Part], list[str]]:
    parts: list[_Part] = []
    pending: list[str] = []
    for line in lines:
        if not _content(line):
            pending.append(line)
        elif _is_dash(line, column):
            parts.append(_Part("", [*pending, line], item=True))
            pending = []
        elif parts and _indent(line) > column:
            parts[-1].lines.extend([*pending, line])
            pending = []
        else:
            raise _Unsplittable
    for part in parts:
        part.key = _identity(part.value)
    if len({p.key for p in parts}) != len(parts):
        raise _Unsplittable
    return [], parts, pending


@dataclass
class _Children:
    head: list[str]
    kind: str
    indent: int
    parts: list[_Part]
    tail: list[str]
    dash: int | None


def _children(part: _Part) -> _Children:
    """The inside of a block: the entries of a nested mapping or the items of a nested list."""
    lines = part.lines
    first = next((i for i, line in enumerate(lines) if _content(line)), None)
    if first is None:
        raise _Unsplittable
    lead, line = lines[:first], lines[first]
    if part.item:
        dash = _indent(line)
        after = line[dash + 1:]
        indent = dash + 1 + len(after) - len(after.lstrip(" "))
        if not _KEY.match(line, indent):
            raise _Unsplittable
        head, parts, tail = _split_mapping([line[:dash] + " " + line[dash + 1:], *lines[first + 1:]], indent)
        return _Children(lead + head, "map", indent, parts, tail, dash)
    match = _KEY.match(line, _indent(line))
    rest = line[match.end():].strip() if match else ""
    if not match or (rest and not rest.startswith("#")):
        raise _Unsplittable  # a value on the key's own line: a scalar or a flow collection
    body = lines[first + 1:]
    inner = next((i for i, text in enumerate(body) if _content(text)), None)
    if inner is None:
        raise _Unsplittable
    indent = _indent(body[inner])
    if _is_dash(body[inner], indent):
        head, parts, tail = _split_sequence(body, indent)
        return _Children([*lead, line, *head], "seq", indent, parts, tail, None)
    head, parts, tail = _split_mapping(body, indent)
    return _Children([*lead, line, *head], "map", indent, parts, tail, None)


def _pick(base: list[str] | None, ours: list[str], theirs: list[str]) -> list[str]:
    if ours == theirs or (base is not None and theirs == base):
        return ours
    if base is not None and ours == base:
        return theirs
    return ours


def _order(ours: list[str], theirs: list[str]) -> list[str]:
    """Ours' order; an entry only theirs has goes after its predecessor in theirs (and ours' additions there)."""
    result = list(ours)
    theirs_set = set(theirs)
    for index, key in enumerate(theirs):
        if key in result:
            continue
        anchor = next((theirs[j] for j in range(index - 1, -1, -1) if theirs[j] in result), None)
        position = 0 if anchor is None else result.index(anchor) + 1
        while anchor is not None and position < len(result) and result[position] not in theirs_set:
            position += 1
        result.insert(position, key)
    return result


class _FactsMerge:
    """Three-way merge of the facts, block by block; a conflict only where both sides changed one fact."""

    def __init__(self) -> None:
        self.conflicts: list[str] = []

    def _conflict(self, path: str, ours: _Part | None, theirs: _Part | None) -> tuple[list[str], Any]:
        shown_ours = "(removed)" if ours is None else _show(_inner(ours))
        shown_theirs = "(removed)" if theirs is None else _show(_inner(theirs))
        self.conflicts.append(f"{path}: ours {shown_ours}, theirs {shown_theirs}")
        lines = ["<<<<<<< ours\n", *(ours.lines if ours else []), "=======\n",
                 *(theirs.lines if theirs else []), ">>>>>>> theirs\n"]
        return [_ensure_newline(x) for x in lines], None

    def block(self, base: _Part | None, ours: _Part, theirs: _Part, path: str) -> tuple[list[str], Any]:
        if ours.text == theirs.text or (base is not None and theirs.text == base.text):
            return ours.lines, ours.value
        if base is not None and ours.text == base.text:
            return theirs.lines, theirs.value
        if ours.meaning == theirs.meaning or (base is not None and theirs.meaning == base.meaning):
            return ours.lines, ours.value
        if base is not None and ours.meaning == base.meaning:
            return theirs.lines, theirs.value
        try:
            mine, other = _children(ours), _children(theirs)
            old = _children(base) if base is not None else None
        except _Unsplittable:
            return self._conflict(path, ours, theirs)
        if (mine.kind, mine.indent, mine.dash) != (other.kind, other.indent, other.dash) or (
                old is not None and (old.kind, old.indent) != (mine.kind, mine.indent)):
            return self._conflict(path, ours, theirs)
        head = _pick(old.head if old else None, mine.head, other.head)
        lines, values = self.parts(old.parts if old else None, mine.parts, other.parts, path, mine.kind)
        tail = _pick(old.tail if old else None, mine.tail, other.tail)
        merged = [*head, *lines, *tail]
        if mine.dash is not None:
            merged = _restore_dash(merged, mine.dash, mine.indent)
        inner: Any = _combine(values, mine.kind)
        if ours.item:
            return merged, [inner]
        return merged, {ours.key: inner}

    def parts(self, base: list[_Part] | None, ours: list[_Part], theirs: list[_Part], path: str,
              kind: str) -> tuple[list[str], list[Any]]:
        base_map = {p.key: p for p in base or []}
        ours_map = {p.key: p for p in ours}
        theirs_map = {p.key: p for p in theirs}
        lines: list[str] = []
        values: list[Any] = []
        for key in _order([p.key for p in ours], [p.key for p in theirs]):
            mine, other, old = ours_map.get(key), theirs_map.get(key), base_map.get(key)
            where = f"{path}[{key}]" if kind == "seq" else (f"{path}.{key}" if path else key)
            if mine is not None and other is not None:
                chunk, value = self.block(old, mine, other, where)
            elif mine is not None or other is not None:
                present = mine if mine is not None else other
                assert present is not None
                if old is None:
                    chunk, value = present.lines, present.value
                elif present.meaning == old.meaning:
                    continue  # removed on the other side, unchanged on this one
                else:
                    chunk, value = self._conflict(where, mine, other)
            else:
                continue
            lines.extend(chunk)
            if value is not None:
                values.append(value)
        return lines, values


def _ensure_newline(line: str) -> str:
    return line if line.endswith("\n") else line + "\n"


def _inner(part: _Part) -> Any:
    value = part.value
    if part.item and isinstance(value, list) and len(value) == 1:
        return value[0]
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value.values()))
    return value


def _combine(values: list[Any], kind: str) -> Any:
    if kind == "seq":
        return [v for value in values for v in (value if isinstance(value, list) else [value])]
    merged: dict[str, Any] = {}
    for value in values:
        if isinstance(value, dict):
            merged.update(value)
    return merged


def _restore_dash(lines: list[str], dash: int, indent: int) -> list[str]:
    out = list(lines)
    for index, line in enumerate(out):
        if _content(line) and not line.startswith(("<<<<<<<", "=======", ">>>>>>>")) and _indent(line) == indent:
            out[index] = line[:dash] + "-" + line[dash + 1:]
            break
    return out


@dataclass
class _Event:
    lines: list[str]
    key: str
    instant: datetime | None
    ours: bool


def _events(shape: FileLayout, zone: ZoneInfo, *, ours: bool) -> list[_Event]:
    out = []
    for lines in shape.items:
        text = "".join(lines)
        try:
            value = _load(text)
        except yaml.YAMLError as error:
            raise LayoutError(f"an event is not readable: {error}") from None
        event = value[0] if isinstance(value, list) and value else value
        instant = None
        at = event.get("at") if isinstance(event, dict) else None
        if isinstance(at, datetime):
            instant = at if at.tzinfo is not None else at.replace(tzinfo=zone)
        elif isinstance(at, date):
            instant = datetime(at.year, at.month, at.day, tzinfo=zone)
        out.append(_Event(lines, event_key(event), instant, ours))
    return out


def union_events(ours: list[_Event], theirs: list[_Event]) -> list[_Event]:
    """Every event of both sides once, in time order, keeping each side's own order.

    An event that both sides hold (same meaning) appears once (as many times as the side holding
    it more often has it). An event only `theirs` holds goes after the event that precedes it in
    `theirs`, before the one that follows it there, and among ours' events by time.
    """
    result = list(ours)
    by_key: dict[str, list[_Event]] = {}
    for event in ours:
        by_key.setdefault(event.key, []).append(event)
    used: Counter[str] = Counter()
    partner: list[_Event | None] = []
    for event in theirs:  # the k-th copy of an event in theirs is the k-th copy in ours
        matches = by_key.get(event.key, [])
        partner.append(matches[used[event.key]] if used[event.key] < len(matches) else None)
        used[event.key] += 1
    floor = -1
    for index, event in enumerate(theirs):
        match = partner[index]
        if match is not None:
            floor = max(floor, next(i for i, e in enumerate(result) if e is match))
            continue
        following = next((p for p in partner[index + 1:] if p is not None), None)
        ceiling = len(result) if following is None else next(i for i, e in enumerate(result) if e is following)
        ceiling = max(ceiling, floor + 1)  # theirs' shared events in another order than ours': ours wins
        position = floor + 1
        while position < ceiling and not (
                result[position].instant is not None and event.instant is not None
                and result[position].instant > event.instant):  # type: ignore[operator]
            position += 1
        result.insert(position, event)
        floor = position
    return result


def _reindent(lines: list[str], delta: int) -> list[str]:
    if delta == 0:
        return lines
    out = []
    for line in lines:
        if not line.strip():
            out.append(line)
        elif delta > 0:
            out.append(" " * delta + line)
        elif _indent(line) >= -delta:
            out.append(line[-delta:])
        else:
            raise LayoutError("cannot re-indent an event")
    return out


@dataclass
class MergeResult:
    text: str
    conflicts: list[str]


def merge_debtor_texts(base: str | None, ours: str, theirs: str, *, zone: ZoneInfo) -> MergeResult:
    """Merge two versions of a debtor file: the facts three-way, the events as a union in time order.

    The text of every block is kept as written (comments and layout with it). Raises LayoutError
    when a version cannot be split into facts and events.
    """
    ours, theirs = _ensure_newline(ours) if ours else ours, _ensure_newline(theirs) if theirs else theirs
    mine, other = layout(ours), layout(theirs)
    old = None
    if base:
        try:
            old = layout(_ensure_newline(base))
        except LayoutError:
            old = None
    facts = _FactsMerge()
    try:
        head_o, parts_o, tail_o = _split_mapping(old.facts, 0) if old else ([], [], [])
        head_a, parts_a, tail_a = _split_mapping(mine.facts, 0)
        head_b, parts_b, tail_b = _split_mapping(other.facts, 0)
    except _Unsplittable:
        raise LayoutError("the facts cannot be split into top-level keys") from None
    lines, values = facts.parts(parts_o if old else None, parts_a, parts_b, "", "map")
    fact_lines = [*_pick(head_o if old else None, head_a, head_b), *lines,
                  *_pick(tail_o if old else None, tail_a, tail_b)]
    events = union_events(_events(mine, zone, ours=True), _events(other, zone, ours=False))
    column = mine.column if mine.column is not None else other.column
    column = 2 if column is None else column
    chosen = mine if mine.header is not None else other
    header = chosen.header
    out = list(fact_lines)
    if header is not None:
        if events and chosen.inline_empty:
            comment = header.split("#", 1)[1] if "#" in header else None
            header = "events:" + (f"  #{comment.rstrip()}" if comment else "") + chosen.newline
        out.append(_ensure_newline(header))
        if mine.header is not None and other.header is not None:
            out.extend(_pick(old.lead if old else None, mine.lead, other.lead))
        else:
            out.extend(chosen.lead)
        for event in events:
            source_column = mine.column if event.ours else other.column
            out.extend(_reindent(event.lines, column - (source_column if source_column is not None else column)))
        out.extend(_pick(old.tail if old else None, mine.tail, other.tail))
    text = "".join(_ensure_newline(line) for line in out)
    if not facts.conflicts:
        expected = _combine(values, "map")
        try:
            document = _load("".join(fact_lines)) or {}
        except yaml.YAMLError:
            document = None
        if not isinstance(document, dict) or event_key(document) != event_key(expected):
            raise LayoutError("the merged facts do not read back as merged")
    return MergeResult(text, facts.conflicts)


def _zone_for(top: Path, name: str) -> ZoneInfo:
    """The ledger's time zone for a debtor file named by git (`ledger/debtors/x.yaml`)."""
    ledger = (top / name).parent.parent
    try:
        return load_settings(ledger).zone
    except (LedgerErrors, OSError):
        return ZoneInfo("Asia/Shanghai")


def merge_driver(base: Path, ours: Path, theirs: Path, name: str) -> int:
    """git's merge driver for debtor files: writes the result into `ours`; 0 clean, 1 conflicts.

    Where a version cannot be split into facts and events, falls back to git's line merge
    (`git merge-file`), which leaves conflict markers.
    """
    read = [p.read_bytes().decode("utf-8", "replace") for p in (base, ours, theirs)]
    top = repository_top(Path.cwd()) or Path.cwd()
    try:
        result = merge_debtor_texts(read[0], read[1], read[2], zone=_zone_for(top, name))
    except LayoutError as problem:
        sys.stderr.write(f"dunning merge-driver: {name}: {problem}; falling back to a line merge\n")
        merged = _run(top, "merge-file", "-L", "ours", "-L", "base", "-L", "theirs", str(ours), str(base),
                      str(theirs), check=False)
        return 0 if merged.returncode == 0 else 1
    ours.write_bytes(result.text.encode("utf-8"))
    for conflict in result.conflicts:
        sys.stderr.write(f"dunning merge-driver: {name}: both sides changed {conflict}\n")
    if result.conflicts:
        return 1
    try:
        parse_debtor(result.text, name)
    except LedgerErrors as bad:
        for error in bad.errors:
            sys.stderr.write(f"dunning merge-driver: merged {error}\n")
        sys.stderr.write(f"dunning merge-driver: {name}: the merged file does not pass check; fix it by hand\n")
        return 1
    return 0


# ---------------------------------------------------------------------------------------------
# setting up a repository: merge driver, attributes, pre-commit hook


def dunning_command() -> str:
    """How git should run this `dunning`: the absolute path of the installed script when known."""
    launched = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if launched is not None and launched.name == "dunning" and launched.is_file():
        return shlex.quote(str(launched.resolve()))
    found = shutil.which("dunning")
    beside = Path(sys.executable).parent / "dunning"
    if found:
        return shlex.quote(str(Path(found).resolve()))
    if beside.is_file():
        return shlex.quote(str(beside))
    return "dunning"


def _ledger_prefix(root: Path) -> str:
    prefix = _text(_run(root, "rev-parse", "--show-prefix")).rstrip("/")
    return prefix or "."


def install_hook(root: Path, command: str | None = None) -> str:
    """Install (or extend) the pre-commit hook for this ledger; returns what was done, for the user."""
    command = command or dunning_command()
    hooks = Path(_text(_run(root, "rev-parse", "--git-path", "hooks")))
    hooks = (hooks if hooks.is_absolute() else root / hooks).resolve()
    hook = hooks / "pre-commit"
    prefix = _ledger_prefix(root)
    line = f"{command} hooks pre-commit --ledger {shlex.quote(prefix)} || exit 1\n"
    if hook.exists():
        existing = hook.read_text(encoding="utf-8", errors="replace")
        if HOOK_MARK not in existing:
            return (f"{hook} exists and is not dunning's: add this line to it yourself:\n  {line.strip()}")
        if f"--ledger {shlex.quote(prefix)} " in existing:
            kept = [x for x in existing.splitlines(keepends=True)
                    if f"--ledger {shlex.quote(prefix)} " not in x]
            hook.write_text("".join(kept) + line, encoding="utf-8")
            return f"pre-commit hook up to date: {hook}"
        hook.write_text(existing + line, encoding="utf-8")
        return f"pre-commit hook extended for ledger '{prefix}': {hook}"
    hooks.mkdir(parents=True, exist_ok=True)
    hook.write_text(
        "#!/bin/sh\n"
        f"{HOOK_MARK}: refuses commits that break the ledger or change recorded events.\n"
        "# Installed by `dunning hooks install`; skip it deliberately with `git commit --no-verify`.\n"
        + line, encoding="utf-8")
    hook.chmod(0o755)
    return f"pre-commit hook installed: {hook}"


def setup_repository(root: Path, *, command: str | None = None) -> list[str]:
    """Make a repository ready for a team: merge driver registered, `.gitattributes`, pre-commit hook.

    Idempotent. The attributes go into `<ledger>/.gitattributes` (shared through git); the driver
    and the hook into this clone's own git config and hooks folder (every clone runs
    `dunning hooks install` once). Returns notes for the user.
    """
    command = command or dunning_command()
    notes = []
    attributes = root / ".gitattributes"
    existing = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
    if ATTRIBUTES_LINE not in existing.splitlines():
        separator = "" if not existing or existing.endswith("\n") else "\n"
        attributes.write_text(existing + separator + ATTRIBUTES_LINE + "\n", encoding="utf-8")
        notes.append(f"{attributes}: debtor files merge with the dunning driver (commit this file once, "
                     "so that every clone uses it)")
    _run(root, "config", "--local", f"merge.{MERGE_DRIVER}.name",
         "dunning: facts three-way, events as a union in time order")
    _run(root, "config", "--local", f"merge.{MERGE_DRIVER}.driver", f"{command} merge-driver %O %A %B %P")
    notes.append(install_hook(root, command))
    return notes
