"""Loaded debtors as msgspec Structs: the models' fields and behaviour, decoded in C.

pydantic validates every debtor file (dunning.model); what the commands then read is a *record*:
for each model of the debtor tree (Debtor, Invoice, the events, ...) a frozen msgspec Struct
generated here from the model's own field list, with the model's properties. A loaded debtor
goes through msgpack once (`pack` from the validated model, `unpack` into records), which is also
what the warm cache stores: 10,000 debtors (~280,000 objects) come back in ~0.15 s, where building
pydantic objects took ~0.5 s (docs/performance.md).

The records stand in for the models everywhere the commands look:

* `isinstance(record, model.Payment)` holds (the models' metaclass knows the records, model.py);
* same field names, values and types (Decimal, date, aware datetime), same properties
  (`ContactEvent.is_demand`, ...); a record equals the model it was made from;
* pydantic's methods (`model_dump`, `model_copy`, ...) answer through the model the record
  converts back to (`as_model`), so they mean exactly what they mean on a model.

They are never validated again: they are made only from validated models, by `pack` + `unpack`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from datetime import datetime
from decimal import Decimal
from types import UnionType
from typing import Annotated
from typing import Any
from typing import Literal
from typing import Union
from typing import cast
from typing import get_args
from typing import get_origin

import msgspec
from pydantic import BaseModel

from dunning import model as formats
from dunning.model import RECORD_MODELS


def _models_of(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation refers to, in order (a list of events refers to every event)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_of(arg)]


def _tree(root: type[BaseModel]) -> list[type[BaseModel]]:
    """The models reachable from `root`, each after the models it holds (the order to define them)."""
    done: list[type[BaseModel]] = []

    def visit(cls: type[BaseModel]) -> None:
        if cls in done:
            return
        for info in cls.model_fields.values():
            for inner in _models_of(info.annotation):
                visit(inner)
        done.append(cls)

    visit(root)
    return done


MODELS = _tree(formats.Debtor)
EVENTS: list[type[BaseModel]] = _models_of(get_args(formats.Event)[0])
CODE = {cls: code for code, cls in enumerate(EVENTS)}  # an event's first packed value says which
RECORD: dict[type[BaseModel], type[msgspec.Struct]] = {}
_SCALARS = (str, int, bool, Decimal, date)  # a date-time only as a moment (below)


def _bare(annotation: Any) -> Any:
    """The type under pydantic's Annotated validators."""
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def _members(annotation: Any) -> list[Any]:
    """The types a field may hold other than None."""
    bare = _bare(annotation)
    if get_origin(bare) in (Union, UnionType):
        return [a for a in get_args(bare) if a is not type(None)]
    return [bare]


def _is_moment(members: list[Any]) -> bool:
    return set(members) == {date, datetime}


def _record_type(annotation: Any, where: str, moment: type) -> Any:
    """The Struct-side type of a model field; a type this module cannot carry is refused at import.

    A date-or-time (an event's `at`) is `moment`: each event has two records, one with a date-time
    and one with a bare date (msgspec reads one text-like type per field, and the tag says which)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _record_type(get_args(annotation)[0], where, moment)
    if origin is Literal:
        return annotation  # msgspec gives back the Literal's own (shared) text: no copy a record
    if origin in (Union, UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(members) < len(get_args(annotation))
        if _is_moment(members):
            inner: Any = moment
        elif len(members) == 1:
            inner = _record_type(members[0], where, moment)
        elif all(m in RECORD for m in members):
            inner = Union[tuple(r for m in members for r in (RECORD[m], ON_DAY.get(m)) if r)]  # noqa: UP007
        else:
            raise TypeError(f"{where}: records cannot carry {annotation!r}")
        return inner | None if optional else inner
    if origin is list:
        return list[_record_type(get_args(annotation)[0], where, moment)]  # type: ignore[misc]
    if annotation in RECORD:
        return RECORD[annotation]
    if annotation in _SCALARS:
        return annotation
    raise TypeError(f"{where}: records cannot carry {annotation!r}")


def _delegate(self: Any, name: str) -> Any:
    """pydantic's API on a record (model_dump, model_copy, ...): asked of the model it stands for."""
    if name.startswith("model_"):
        return getattr(as_model(self), name)
    raise AttributeError(f"{type(self).__name__!r} record has no attribute {name!r}")


def _namespace(cls: type[BaseModel]) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__getattr__": _delegate}
    for klass in reversed(cls.__mro__[: cls.__mro__.index(formats.Strict)]):
        namespace.update({name: value for name, value in vars(klass).items() if isinstance(value, property)})
    return namespace


def _define(cls: type[BaseModel], name: str, moment: type, tag: int | None) -> type[msgspec.Struct]:
    fields = [(field, _record_type(info.annotation, f"{cls.__name__}.{field}", moment))
              for field, info in cls.model_fields.items()]
    options: dict[str, Any] = {} if tag is None else {"tag": tag, "tag_field": "_code"}
    record = msgspec.defstruct(name, fields, array_like=True, frozen=True, gc=False, namespace=_namespace(cls),
                               module=__name__, **options)
    setattr(sys.modules[__name__], name, record)  # pickle finds a record class by its name here
    RECORD_MODELS[record] = cls
    return record


ON_DAY: dict[type[BaseModel], type[msgspec.Struct]] = {}  # an event's record when `at` is a bare date
_MOMENTS: dict[type[BaseModel], list[str]] = {}
for _cls in MODELS:
    _moments = [name for name, info in _cls.model_fields.items() if _is_moment(_members(info.annotation))]
    if _moments:
        if _cls not in CODE:
            raise TypeError(f"{_cls.__name__}: a date-or-time field is carried on events only")
        _MOMENTS[_cls] = _moments
        ON_DAY[_cls] = _define(_cls, f"{_cls.__name__}OnDay", date, CODE[_cls] + len(EVENTS))
    RECORD[_cls] = _define(_cls, _cls.__name__, datetime, CODE.get(_cls))
MODEL_OF = dict(RECORD_MODELS)
_MOMENT_NAMES = sorted({name for names in _MOMENTS.values() for name in names})
if _MOMENT_NAMES not in ([], ["at"]):
    raise TypeError(f"records carry a date-or-time only as an event's `at`, not {_MOMENT_NAMES}")

_decoder = msgspec.msgpack.Decoder(RECORD[formats.Debtor])
_encoder = msgspec.msgpack.Encoder()


# ---------------------------------------------------------------------------------------------
# pack: a validated model as the nested lists the records decode from; one generated function per
# model (no per-value type tests). msgspec writes Decimal, date and aware datetime as their text.


def _compile_packers() -> dict[type[BaseModel], Callable[[Any], list[Any]]]:
    namespace: dict[str, Any] = {"_date": date}
    lines = ["def _event(v):\n    return _PACK[type(v)](v)\n"]
    for cls in MODELS:
        outs = [] if cls not in CODE else [str(CODE[cls])] if cls not in _MOMENTS else [
            f"({CODE[cls] + len(EVENTS)} if type(d['at']) is _date else {CODE[cls]})"]
        for name, info in cls.model_fields.items():
            get = f"d[{name!r}]"
            members, inner = _members(info.annotation), _models_of(info.annotation)
            listed = [m for m in members if get_origin(m) is list]
            call = "_event" if len(inner) > 1 else f"P_{inner[0].__name__}" if inner else ""
            if name in _MOMENTS.get(cls, []):
                out = f"({get} if type({get}) is _date else {get}.isoformat())"
            elif not inner:
                out = get
            elif len(members) == 1 and listed:
                out = f"[{call}(x) for x in {get}]"
            elif not listed and len(members) == len(inner):
                out = f"(None if {get} is None else {call}({get}))"
            else:  # say, models mixed with text or an optional list of models: not in the format
                raise TypeError(f"{cls.__name__}.{name}: cannot pack {info.annotation!r}")
            outs.append(out)
        lines.append(f"def P_{cls.__name__}(o):\n    d = o.__dict__\n    return [{', '.join(outs)}]\n")
    exec("\n".join(lines), namespace)  # noqa: S102 - our own generated code, from the models only
    packers = {cls: namespace[f"P_{cls.__name__}"] for cls in MODELS}
    namespace["_PACK"] = packers
    return packers


_PACKERS = _compile_packers()
_PACK_DEBTOR = _PACKERS[formats.Debtor]


def pack(debtor: formats.Debtor) -> bytes:
    """A validated debtor (a model, or a record) as bytes for `unpack` and for the cache."""
    return _encoder.encode(_PACK_DEBTOR(as_model(debtor)))


def unpack(data: bytes | msgspec.Raw) -> formats.Debtor:
    """The debtor packed in `data`, as records (typed as the model they stand for)."""
    return cast(formats.Debtor, _decoder.decode(data))


def as_model(value: Any) -> Any:
    """A record as the pydantic model it stands for (built without validating again), recursively."""
    cls = MODEL_OF.get(type(value))
    if cls is None:
        if type(value) is list:
            return [as_model(item) for item in value]
        return value
    values = {name: as_model(getattr(value, name)) for name in cls.model_fields}
    made = object.__new__(cls)
    object.__setattr__(made, "__dict__", values)
    object.__setattr__(made, "__pydantic_fields_set__", set(cls.model_fields))
    object.__setattr__(made, "__pydantic_extra__", None)
    object.__setattr__(made, "__pydantic_private__", None)
    return made
