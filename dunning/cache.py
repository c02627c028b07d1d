"""The warm cache of validated debtors, so that a ledger of 10,000 files loads in well under a second.

Design (measured in bench/, explained in docs/performance.md):

* One file, `<ledger>/.dunning/debtors.cache`, in a folder that ignores itself in git.
* Each entry holds the file's stat (mtime_ns, size, inode), the BLAKE2 digest of its bytes and the
  validated debtor packed as msgpack (models as extension types, so they come back as the same
  pydantic models without validating again: the data was validated when it was written).
* An entry is served only when the stat matches and the file was not modified in the two seconds
  before the cache was written (a same-timestamp edit then cannot hide); otherwise the file is read
  and its digest compared: same bytes (say a `touch`) -> the entry is reused, else it is parsed again.
* The whole cache is keyed by the tool's version and by the source of the format and loader
  modules: a new release or a schema change never reads an old cache (beancount#449).
* A cache that cannot be read, is corrupt or is of another key is ignored and rebuilt, never fatal;
  one that cannot be written is skipped.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

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

_DECIMAL, _DATE, _DATETIME = 1, 2, 3
_MODELS: list[type[BaseModel]] = sorted(
    (c for c in vars(formats).values()
     if isinstance(c, type) and issubclass(c, BaseModel) and c not in (BaseModel, formats.Strict)
     and c.__module__ == formats.__name__),
    key=lambda c: c.__name__,
)
_CODE = {cls: 16 + i for i, cls in enumerate(_MODELS)}
_FIELDS = {cls: tuple(cls.model_fields) for cls in _MODELS}
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


def _pack(value: Any) -> Any:
    if isinstance(value, BaseModel):
        cls = type(value)
        values = [_pack(getattr(value, name)) for name in _FIELDS[cls]]
        return msgspec.msgpack.Ext(_CODE[cls], _encoder.encode(values))
    if isinstance(value, Decimal):
        return msgspec.msgpack.Ext(_DECIMAL, str(value).encode())
    if isinstance(value, datetime):
        return msgspec.msgpack.Ext(_DATETIME, value.isoformat().encode())
    if isinstance(value, date):
        return msgspec.msgpack.Ext(_DATE, value.isoformat().encode())
    if isinstance(value, list | tuple):
        return [_pack(v) for v in value]
    if isinstance(value, dict):
        return {k: _pack(v) for k, v in value.items()}
    return value


def _builder(cls: type[BaseModel]) -> Callable[[list[Any]], BaseModel]:
    names = _FIELDS[cls]
    fields_set = frozenset(names)
    new = object.__new__
    setattr_ = object.__setattr__

    def build(values: list[Any]) -> BaseModel:
        instance = new(cls)
        setattr_(instance, "__dict__", dict(zip(names, values, strict=True)))
        setattr_(instance, "__pydantic_fields_set__", set(fields_set))
        setattr_(instance, "__pydantic_extra__", None)
        setattr_(instance, "__pydantic_private__", None)
        return instance

    return build


_BUILD = {_CODE[cls]: _builder(cls) for cls in _MODELS}


def _ext(code: int, data: memoryview) -> Any:
    if code == _DECIMAL:
        return Decimal(bytes(data).decode())
    if code == _DATE:
        return date.fromisoformat(bytes(data).decode())
    if code == _DATETIME:
        return datetime.fromisoformat(bytes(data).decode())
    return _BUILD[code](msgspec.msgpack.decode(data, ext_hook=_ext))


def pack_debtor(debtor: Debtor) -> bytes:
    return _encoder.encode(_pack(debtor))


def unpack_debtor(data: bytes) -> Debtor:
    debtor = msgspec.msgpack.decode(data, ext_hook=_ext)
    if not isinstance(debtor, Debtor):
        raise ValueError("not a debtor")
    return debtor


Entry = tuple[int, int, int, bytes, bytes]  # mtime_ns, size, inode, digest, packed debtor


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


def load_debtors(root: Path, files: Sequence[tuple[str, Path]], *, enabled: bool = True,
                 ) -> tuple[dict[str, Debtor], list[LedgerError]]:
    """Every debtor file, validated: from the cache where the file is unchanged, else parsed."""
    key = cache_key() if enabled else ""
    cached, written = _read_cache(root, key) if enabled else ({}, 0)
    debtors: dict[str, Debtor] = {}
    errors: list[LedgerError] = []
    fresh: dict[str, Entry] = {}
    changed = len(cached) != len(files)
    for debtor_id, path in files:
        relpath = f"{DEBTORS_DIR}/{path.name}"
        if not SLUG.fullmatch(debtor_id):
            errors.append(LedgerError(relpath, 1, 1, f"file name '{path.name}' is not a debtor id: use "
                                      "lower-case letters, digits and '-' (e.g. shenyang-heavy.yaml)"))
            continue
        try:
            stat = path.lstat()
        except OSError as error:
            errors.append(LedgerError(relpath, 1, 1, f"cannot read: {error.strerror}"))
            continue
        if not path.is_file() or path.is_symlink():
            errors.append(LedgerError(relpath, 1, 1, "not a plain file (a symbolic link or a folder): "
                                      "debtor files must be plain files inside the ledger"))
            continue
        entry = cached.get(debtor_id)
        signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if entry is not None and entry[:3] == signature and stat.st_mtime_ns < written - RACY_NS:
            with contextlib.suppress(Exception):  # a damaged entry is parsed again
                debtors[debtor_id] = unpack_debtor(entry[4])
                fresh[debtor_id] = entry
                continue
        try:
            data = path.read_bytes()
        except OSError as error:
            errors.append(LedgerError(relpath, 1, 1, f"cannot read: {error.strerror}"))
            continue
        digest = _digest(data)
        changed = True
        packed = entry[4] if entry is not None and entry[3] == digest else None
        debtor = None
        if packed is not None:
            with contextlib.suppress(Exception):
                debtor = unpack_debtor(packed)
        if debtor is None or packed is None:
            try:
                debtor = parse_debtor(data, relpath)
            except LedgerErrors as located:
                errors.extend(located.errors)
                continue
            packed = pack_debtor(debtor)
        debtors[debtor_id] = debtor
        fresh[debtor_id] = (*signature, digest, packed)
    if enabled and (changed or not written or any(k not in fresh for k in cached)):
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
