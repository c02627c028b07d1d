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
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from stat import S_ISREG
from types import UnionType
from typing import Annotated
from typing import Any
from typing import Union
from typing import get_args
from typing import get_origin

import msgspec
from pydantic import BaseModel

from dunning import model as formats
from dunning.ledger import CACHE_DIR
from dunning.ledger import DEBTORS_DIR
from dunning.ledger import LedgerError
from dunning.ledger import LedgerErrors
from dunning.ledger import atomic_write
from dunning.ledger import parse_debtor
from dunning.model import SLUG
from dunning.model import Debtor

CACHE_FILE = "debtors.cache"
RACY_NS = 2_000_000_000

_MODELS: list[type[BaseModel]] = sorted(
    (c for c in vars(formats).values()
     if isinstance(c, type) and issubclass(c, BaseModel) and c not in (BaseModel, formats.Strict)
     and c.__module__ == formats.__name__),
    key=lambda c: c.__name__,
)
_CODE = {cls: i for i, cls in enumerate(_MODELS)}
_encoder = msgspec.msgpack.Encoder()


def cache_key() -> str:
    """Changes with the tool's version and with the source of the format and of the loader."""
    from dunning import __version__

    digest = hashlib.blake2b(__version__.encode(), digest_size=16)
    here = Path(__file__).parent
    for name in ("model.py", "ledger.py", "cache.py"):
        with contextlib.suppress(OSError):
            digest.update((here / name).read_bytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------
# The codec: a validated debtor as nested msgpack lists, and back without validating again.
#
# Each model becomes `[code, field, field, ...]` in declaration order; how a field is written and
# read back follows from its annotation: Decimal as its text, a date as its ordinal, a date-time as
# ISO text, a model as its list, a list of events as their lists (the code says which event).
# Packing and unpacking are one generated function per model (no per-value type tests), and the
# unpacked object is built the way pydantic's `model_construct` builds one, minus the checks:
# ~1 us an object, so 10,000 debtors (~280,000 objects) come back in well under half a second.


def _kind(annotation: Any) -> tuple[str, Any]:
    """How a field's value is packed: plain, dec, date, moment, model, models or events."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kind(get_args(annotation)[0])
    args = get_args(annotation)
    if origin in (Union, UnionType):
        members = [a for a in args if a is not type(None)]
        if len(members) == 1:
            return _kind(members[0])
        if set(members) == {date, datetime}:
            return "moment", None
        if all(isinstance(m, type) and issubclass(m, BaseModel) for m in members):
            return "union", None
        return "plain", None
    if origin is list and args:
        item, item_kind = args[0], _kind(args[0])
        if item_kind[0] == "model":
            return "models", item_kind[1]
        if item_kind[0] == "union" or (get_origin(item) is Annotated and _kind(item)[0] == "union"):
            return "events", None
        if item_kind[0] != "plain":
            raise TypeError(f"cannot cache a list of {item!r}")
        return "plain", None
    if annotation is Decimal:
        return "dec", None
    if annotation is datetime:
        return "moment", None
    if annotation is date:
        return "date", None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "model", annotation
    return "plain", None


def _compile() -> tuple[dict[type[BaseModel], Callable[[Any], Any]], dict[int, Callable[[Any], Any]]]:
    """One packing and one building function per model, generated from its annotations."""
    namespace: dict[str, Any] = {"datetime": datetime}
    lines: list[str] = [
        "def _moment_out(v):\n    return v.isoformat() if isinstance(v, datetime) else v.toordinal()\n",
        "def _event_out(v):\n    return _PACK[type(v)](v)\n",
    ]
    # the builders bind what they call as default arguments: local lookups, the fastest Python has
    bound = ("_new=_new, _set=_set, _D=_D, _day=_day, _iso=_iso, _int=int, _BUILD=_BUILD")
    namespace.update(_new=object.__new__, _set=object.__setattr__, _D=Decimal, _day=date.fromordinal,
                     _iso=datetime.fromisoformat, _BUILD={})
    for cls in _MODELS:
        name, code = cls.__name__, _CODE[cls]
        namespace[f"C_{name}"] = cls
        namespace[f"S_{name}"] = set(cls.model_fields)
        outs, ins = [str(code)], []
        for index, (field_name, info) in enumerate(cls.model_fields.items(), start=1):
            kind, target = _kind(info.annotation)
            get, got = f"d[{field_name!r}]", f"v[{index}]"
            target_name = getattr(target, "__name__", "")
            out = {"plain": get, "dec": f"str({get})", "date": f"{get}.toordinal()",
                   "moment": f"_moment_out({get})", "union": f"_event_out({get})",
                   "events": f"[_event_out(x) for x in {get}]", "model": f"P_{target_name}({get})",
                   "models": f"[P_{target_name}(x) for x in {get}]"}[kind]
            back = {"plain": got, "dec": f"_D({got})", "date": f"_day({got})",
                    "moment": f"(_day({got}) if type({got}) is _int else _iso({got}))",
                    "union": f"_BUILD[{got}[0]]({got})", "events": f"[_BUILD[x[0]](x) for x in {got}]",
                    "model": f"_BUILD[{_CODE.get(target, -1)}]({got})",
                    "models": f"[_BUILD[{_CODE.get(target, -1)}](x) for x in {got}]"}[kind]
            if kind != "plain":
                out = f"(None if {get} is None else {out})"
                if type(None) in get_args(info.annotation) or info.default is None:
                    back = f"(None if {got} is None else {back})"
            outs.append(out)
            ins.append(f"{field_name!r}: {back}")
        lines.append(f"def P_{name}(o):\n    d = o.__dict__\n    return [{', '.join(outs)}]\n")
        lines.append(
            f"def B_{name}(v, {bound}, _C=C_{name}, _S=S_{name}):\n    o = _new(_C)\n"
            f"    _set(o, '__dict__', {{{', '.join(ins)}}})\n    _set(o, '__pydantic_fields_set__', _S)\n"
            f"    _set(o, '__pydantic_extra__', None)\n    _set(o, '__pydantic_private__', None)\n"
            f"    return o\n")
    exec("\n".join(lines), namespace)  # noqa: S102 - our own generated code, from the models only
    namespace["_PACK"] = {cls: namespace[f"P_{cls.__name__}"] for cls in _MODELS}
    namespace["_BUILD"].update({_CODE[cls]: namespace[f"B_{cls.__name__}"] for cls in _MODELS})
    return namespace["_PACK"], namespace["_BUILD"]


_PACKERS, _BUILDERS = _compile()
_BUILD_DEBTOR = _BUILDERS[_CODE[Debtor]]


def pack_debtor(debtor: Debtor) -> bytes:
    return _encoder.encode(_PACKERS[Debtor](debtor))


def unpack_debtor(data: bytes) -> Debtor:
    values = msgspec.msgpack.decode(data)
    if not isinstance(values, list) or not values or values[0] != _CODE[Debtor]:
        raise ValueError("not a debtor")
    debtor: Debtor = _BUILD_DEBTOR(values)
    return debtor


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


def _parse_one(relpath: str, path: Path, entry: Entry | None,
               ) -> tuple[bytes, bytes, Debtor | None] | list[LedgerError]:
    """(digest, packed, debtor or None when only packed) for one changed file, or its errors."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return [LedgerError(relpath, 1, 1, f"cannot read: {error.strerror}")]
    digest = _digest(data)
    if entry is not None and entry[4] == digest:  # same bytes, new stat (a touch, a checkout)
        with contextlib.suppress(Exception):
            return digest, entry[5], unpack_debtor(entry[5])
    try:
        debtor = parse_debtor(data, relpath)
    except LedgerErrors as located:
        return located.errors
    return digest, pack_debtor(debtor), debtor


def _parse_chunk(items: list[tuple[str, str, str]]) -> list[tuple[str, tuple[bytes, bytes] | list[LedgerError]]]:
    """In a worker: parse files, return what crosses back cheaply (packed bytes, or the errors)."""
    gc.disable()
    done: list[tuple[str, tuple[bytes, bytes] | list[LedgerError]]] = []
    for debtor_id, relpath, path in items:
        result = _parse_one(relpath, Path(path), None)
        done.append((debtor_id, result if isinstance(result, list) else result[:2]))
    return done


def _parse_in_workers(misses: list[tuple[str, str, Path, Signature]],
                      ) -> Iterator[tuple[str, Signature,
                                          tuple[bytes, bytes, Debtor | None] | list[LedgerError]]]:
    import multiprocessing

    signatures = {debtor_id: signature for debtor_id, _, _, signature in misses}
    work = [(debtor_id, relpath, str(path)) for debtor_id, relpath, path, _ in misses]
    chunks = [work[i:i + _CHUNK] for i in range(0, len(work), _CHUNK)]
    context = multiprocessing.get_context("fork")
    with context.Pool(min(os.cpu_count() or 1, 8)) as pool:
        for chunk in pool.imap(_parse_chunk, chunks):
            for debtor_id, result in chunk:
                if isinstance(result, list):
                    yield debtor_id, signatures[debtor_id], result
                else:
                    yield debtor_id, signatures[debtor_id], (*result, None)


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
        results: Iterable[tuple[str, Signature,
                                tuple[bytes, bytes, Debtor | None] | list[LedgerError]]] = (
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
        digest, packed, debtor = result
        debtors[debtor_id] = debtor if debtor is not None else unpack_debtor(packed)
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
