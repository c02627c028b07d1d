"""The warm cache of validated debtors: a ledger of 10,000 files loads in ~0.7 s instead of ~3 s.

Design (measured by `make bench`, explained in docs/performance.md):

* One file, `<ledger>/.dunning/debtors.cache`, in a folder that ignores itself in git.
* Each entry holds the file's stat (mtime_ns, size, inode, ctime_ns), the BLAKE2 digest of its bytes and the
  validated debtor packed as msgpack lists by a codec generated from the models' annotations, so
  they come back as the same pydantic models without validating again (they were validated when
  the entry was written) at ~1 us an object.
* An entry is served only when the stat matches and the file was not modified in the two seconds
  before the cache was written (a same-timestamp edit then cannot hide; an edit whose mtime was
  put back still changes ctime, which nobody can set); otherwise the file is read
  and its digest compared: same bytes (say a `touch`) -> the entry is reused, else it is parsed again.
* The whole cache is keyed by the tool's version and by the source of the format and loader
  modules: a new release or a schema change never reads an old cache (beancount#449).
* A cache that cannot be read, is corrupt or is of another key is ignored and rebuilt, never fatal;
  one that cannot be written is skipped.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import os
import sys
import time
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path
from stat import S_ISREG

import msgspec

from dunning import records
from dunning.ledger import CACHE_DIR
from dunning.ledger import DEBTORS_DIR
from dunning.ledger import LedgerError
from dunning.ledger import LedgerErrors
from dunning.ledger import atomic_write
from dunning.ledger import parse_debtor
from dunning.model import SLUG
from dunning.model import Debtor

CACHE_FILE = "debtors.cache"
KEY_SOURCES = ("model.py", "records.py", "ledger.py", "cache.py")  # what the cached bytes depend on
RACY_NS = 2_000_000_000

_encoder = msgspec.msgpack.Encoder()


def cache_key() -> str:
    """Changes with the tool's version and with the source of the format and of the loader."""
    from dunning import __version__

    digest = hashlib.blake2b(__version__.encode(), digest_size=16)
    here = Path(__file__).parent
    for name in KEY_SOURCES:
        with contextlib.suppress(OSError):
            digest.update((here / name).read_bytes())
    return digest.hexdigest()


def pack_debtor(debtor: Debtor) -> bytes:
    return records.pack(debtor)


def unpack_debtor(data: bytes) -> Debtor:
    """The cached debtor as records (dunning.records): decoded in C, never validated again."""
    return records.unpack(data)


Signature = tuple[int, int, int, int]  # mtime_ns, size, inode, ctime_ns (os.utime cannot set ctime)
Entry = tuple[int, int, int, int, bytes, bytes]  # the signature, the digest, the packed debtor


def _cache_path(root: Path) -> Path:
    return root / CACHE_DIR / CACHE_FILE


def _read_cache(root: Path, key: str) -> tuple[dict[str, Entry], int]:
    try:
        blob = _cache_path(root).read_bytes()
        document = msgspec.msgpack.decode(blob)
        if document.get("key") != key:
            return {}, 0
        entries: dict[str, Entry] = {k: tuple(v) for k, v in document["entries"].items()}
        return entries, int(document["written"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError, msgspec.DecodeError):
        return {}, 0
    except Exception:  # a corrupt cache is rebuilt, never fatal
        return {}, 0


def _write_cache(root: Path, key: str, entries: dict[str, Entry]) -> None:
    folder = root / CACHE_DIR
    try:
        folder.mkdir(exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# dunning's disposable cache: never tracked\n*\n", encoding="utf-8")
        document = {"key": key, "written": time.time_ns(),
                    "entries": {k: list(v) for k, v in entries.items()}}
        atomic_write(_cache_path(root), _encoder.encode(document))
    except OSError:
        return


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


# A cold load of many files parses them in worker processes (fork: the workers start with the
# models already imported). Two CPUs take a 10,000-file cold load from ~3.3 s to ~2 s.
PARALLEL_FROM = 1500
_CHUNK = 250


def _parse_one(relpath: str, path: Path, entry: Entry | None) -> tuple[bytes, bytes] | list[LedgerError]:
    """(digest, packed debtor) for one changed file, or its errors."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return [LedgerError(relpath, 1, 1, f"cannot read: {error.strerror}")]
    digest = _digest(data)
    if entry is not None and entry[4] == digest:  # same bytes, new stat (a touch, a checkout)
        with contextlib.suppress(Exception):  # a damaged entry is parsed again
            unpack_debtor(entry[5])
            return digest, entry[5]
    try:
        debtor = parse_debtor(data, relpath)
    except LedgerErrors as located:
        return located.errors
    return digest, pack_debtor(debtor)


def _parse_chunk(items: list[tuple[str, str, str]]) -> list[tuple[str, tuple[bytes, bytes] | list[LedgerError]]]:
    """In a worker: parse files, return what crosses back cheaply (packed bytes, or the errors)."""
    gc.disable()
    return [(debtor_id, _parse_one(relpath, Path(path), None)) for debtor_id, relpath, path in items]


def _parse_in_workers(misses: list[tuple[str, str, Path, Signature]],
                      ) -> Iterator[tuple[str, Signature, tuple[bytes, bytes] | list[LedgerError]]]:
    import multiprocessing

    signatures = {debtor_id: signature for debtor_id, _, _, signature in misses}
    work = [(debtor_id, relpath, str(path)) for debtor_id, relpath, path, _ in misses]
    chunks = [work[i:i + _CHUNK] for i in range(0, len(work), _CHUNK)]
    context = multiprocessing.get_context("fork")
    with context.Pool(min(os.cpu_count() or 1, 8)) as pool:
        for chunk in pool.imap(_parse_chunk, chunks):
            for debtor_id, result in chunk:
                yield debtor_id, signatures[debtor_id], result


def _parallel() -> bool:
    return sys.platform == "linux" and (os.cpu_count() or 1) > 1


def load_debtors(root: Path, files: Sequence[tuple[str, Path]], *, enabled: bool = True,
                 ) -> tuple[dict[str, Debtor], list[LedgerError]]:
    """Every debtor file, validated: from the cache where the file is unchanged, else parsed."""
    key = cache_key() if enabled else ""
    cached, written = _read_cache(root, key) if enabled else ({}, 0)
    debtors: dict[str, Debtor] = {}
    errors: list[LedgerError] = []
    fresh: dict[str, Entry] = {}
    misses: list[tuple[str, str, Path, Signature]] = []
    for debtor_id, path in files:
        relpath = f"{DEBTORS_DIR}/{path.name}"
        if not SLUG.fullmatch(debtor_id):
            errors.append(LedgerError(relpath, 1, 1, f"file name '{path.name}' is not a debtor id: use "
                                      "lower-case letters, digits and '-' (e.g. shenyang-heavy.yaml)"))
            continue
        try:
            stat = os.lstat(path)
        except OSError as error:
            errors.append(LedgerError(relpath, 1, 1, f"cannot read: {error.strerror}"))
            continue
        if not S_ISREG(stat.st_mode):
            errors.append(LedgerError(relpath, 1, 1, "not a plain file (a symbolic link or a folder): "
                                      "debtor files must be plain files inside the ledger"))
            continue
        entry = cached.get(debtor_id)
        signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino, stat.st_ctime_ns)
        if (entry is not None and entry[:4] == signature
                and max(stat.st_mtime_ns, stat.st_ctime_ns) < written - RACY_NS):
            with contextlib.suppress(Exception):  # a damaged entry is parsed again
                debtors[debtor_id] = unpack_debtor(entry[5])
                fresh[debtor_id] = entry
                continue
        misses.append((debtor_id, relpath, path, signature))
    # an unchanged file with a new stat needs no parse: only the rest may go to workers
    unread = [m for m in misses if m[0] not in cached]
    if len(unread) >= PARALLEL_FROM and _parallel():
        results: Iterable[tuple[str, Signature, tuple[bytes, bytes] | list[LedgerError]]] = (
            _parse_in_workers(unread))
        rest = [m for m in misses if m[0] in cached]
    else:
        results, rest = (), misses
    parsed = itertools.chain(results, ((debtor_id, signature, _parse_one(relpath, path, cached.get(debtor_id)))
                                       for debtor_id, relpath, path, signature in rest))
    for debtor_id, signature, result in parsed:
        if isinstance(result, list):
            errors.extend(result)
            continue
        digest, packed = result
        debtors[debtor_id] = unpack_debtor(packed)  # records, cold or warm: one kind of debtor
        fresh[debtor_id] = (*signature, digest, packed)
    if misses:
        debtors = dict(sorted(debtors.items()))
    if enabled and (misses or not written or any(k not in fresh for k in cached)):
        _write_cache(root, key, fresh)
    return debtors, errors


def clear(root: Path) -> None:
    with contextlib.suppress(OSError):
        _cache_path(root).unlink()


def cache_size(root: Path) -> int:
    try:
        return _cache_path(root).stat().st_size
    except OSError:
        return 0
