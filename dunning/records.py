"""Loaded debtors as msgspec Structs: the models' fields and behaviour, decoded in C.

pydantic validates every debtor file (dunning.model); what the commands then read is a *record*:
for each model of the debtor tree (Debtor, Invoice, the events, ...) a frozen msgspec Struct
generated here from the model's own field list, with the model's properties. A loaded debtor
goes through msgpack once (`pack` from the validated model, `unpack` into records), which is also
what the warm cache stores: 10,000 debtors (~280,000 objects) come back in ~0.15 s, where building
pydantic objects took ~0.5 s (docs/performance.md).

The records stand in for the models everywhere the commands look:

* `isinstance(record, model.Payment)` holds (the models' metaclass knows the records, model.py);
* same field names, values and types (Decimal, date, a date-time with the offset it was recorded
  with), same properties (`ContactEvent.is_demand`, ...);
* a record equals the model it was made from and hashes like it; `dict(record)` is the model's;
* pydantic's methods (`model_dump`, `model_copy`, ...) answer through the model the record
  converts back to (`as_model`), so they mean exactly what they mean on a model; a record given
  to a model's constructor becomes that model (model.Strict).

What differs: `isinstance(record, pydantic.BaseModel)` is false, `repr()` is msgspec's, and
`model_dump(exclude_unset=True)` is refused (a record does not know which keys its file set).
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


def _is_moment(members: list[Any]) -> bool:
    return set(members) == {date, datetime}


def _record_type(annotation: Any, where: str, moment: type | None = None) -> Any:
    """The Struct-side type of a model field; a type this module cannot carry is refused at import.

    A date-or-time is carried only as an event's `at`, given here as `moment`: each event has two
    records, one with a date-time and one with a bare date (msgspec reads one text-like type per
    field, and the packed tag says which)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _record_type(get_args(annotation)[0], where, moment)
    if origin is Literal:
        return annotation  # msgspec gives back the Literal's own text: one shared string, not a copy each
    if origin in (Union, UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        optional = len(members) < len(get_args(annotation))
        if _is_moment(members) and moment is not None and not optional:
            inner: Any = moment
        elif len(members) == 1:
            inner = _record_type(members[0], where)
        elif members and all(m in RECORD for m in members):
            inner = Union[tuple(r for m in members for r in (RECORD[m], ON_DAY.get(m)) if r)]  # noqa: UP007
        else:  # a date-time elsewhere, or text or a number beside a model: not in the format
            raise TypeError(f"{where}: records cannot carry {annotation!r}")
        return inner | None if optional else inner
    if origin is list:
        return list[_record_type(get_args(annotation)[0], where)]  # type: ignore[misc]
    if annotation in RECORD:
        return RECORD[annotation]
    if annotation in _SCALARS:
        return annotation
    raise TypeError(f"{where}: records cannot carry {annotation!r}")


def _unwrapped(annotation: Any) -> Any:
    return _unwrapped(get_args(annotation)[0]) if get_origin(annotation) is Annotated else annotation


def _pack_expression(annotation: Any, value: str) -> str:
    """Python text that packs `value` of this (already accepted by _record_type) annotation."""
    annotation = _unwrapped(annotation)
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) > 1:
            return f"(None if {value} is None else _event({value}))"  # a union of models: the events
        inner = _pack_expression(members[0], value)
        return inner if inner == value else f"(None if {value} is None else {inner})"
    if origin is list:
        item = _pack_expression(get_args(annotation)[0], "x")
        return value if item == "x" else f"[{item} for x in {value}]"
    if annotation in RECORD:
        return f"P_{annotation.__name__}({value})"
    return value  # text, numbers, flags, dates, Decimal: msgspec writes them


def _delegate(self: Any, name: str) -> Any:
    """pydantic's API on a record (model_dump, model_copy, ...): asked of the model it stands for."""
    if name == "model_copy":
        def model_copy(*, update: dict[str, Any] | None = None, deep: bool = False) -> Any:
            # the new values too: a record inside a model would not dump
            changes = None if update is None else {k: as_model(v) for k, v in update.items()}
            return as_model(self).model_copy(update=changes, deep=deep)

        return model_copy
    if name == "model_dump":
        def model_dump(**options: Any) -> Any:
            if options.get("exclude_unset"):
                raise TypeError("a loaded record does not know which fields its file set: parse the file "
                                "(dunning.ledger.parse_debtor) to dump with exclude_unset")
            return as_model(self).model_dump(**options)

        return model_dump
    if name.startswith("model_"):
        return getattr(as_model(self), name)
    raise AttributeError(f"{type(self).__name__!r} record has no attribute {name!r}")


def _iterate(self: Any) -> Any:
    """`for name, value in record` and `dict(record)`, as on a pydantic model."""
    return ((name, getattr(self, name)) for name in self.__struct_fields__)


def _hash(self: Any) -> int:
    """pydantic's hash of a frozen model (of its field values), so a record and its model hash alike."""
    values = tuple(getattr(self, name) for name in self.__struct_fields__)
    return hash(values[0] if len(values) == 1 else values)


def _namespace(cls: type[BaseModel]) -> dict[str, Any]:
    """The record's behaviour: the model's properties, and pydantic's API through `as_model`.

    A model class may define besides its fields only validators (pydantic runs them; records are
    made from validated models) and properties (copied here): a plain method would be missing on
    records, so it is refused when the module is imported."""
    namespace: dict[str, Any] = {"__getattr__": _delegate, "__iter__": _iterate, "__hash__": _hash}
    decorators = cls.__pydantic_decorators__
    validators = {name for kind in (decorators.validators, decorators.field_validators,
                                    decorators.root_validators, decorators.field_serializers,
                                    decorators.model_serializers, decorators.model_validators,
                                    decorators.computed_fields) for name in kind}
    for klass in reversed(cls.__mro__[: cls.__mro__.index(formats.Strict)]):
        for name, value in vars(klass).items():
            if isinstance(value, property):
                namespace[name] = value
            elif (callable(value) or isinstance(value, classmethod | staticmethod)) and name not in validators \
                    and name != "__hash__":  # pydantic's hash of a frozen model; the record's is _hash
                raise TypeError(f"{klass.__name__}.{name}: records copy properties only; make it a property "
                                "or a function beside the model")
    return namespace


def _define(cls: type[BaseModel], name: str, moment: type, tag: int | None) -> type[msgspec.Struct]:
    fields = [(field, _record_type(info.annotation, f"{cls.__name__}.{field}",
                                   moment if tag is not None and field == "at" else None))
              for field, info in cls.model_fields.items()]
    options: dict[str, Any] = {} if tag is None else {"tag": tag, "tag_field": "_code"}
    record = msgspec.defstruct(name, fields, array_like=True, frozen=True, gc=False, namespace=_namespace(cls),
                               module=__name__, **options)
    setattr(sys.modules[__name__], name, record)  # pickle finds a record class by its name here
    RECORD_MODELS[record] = cls
    return record


ON_DAY: dict[type[BaseModel], type[msgspec.Struct]] = {}  # an event's record when `at` is a bare date
for _cls in MODELS:
    if _cls in CODE:
        ON_DAY[_cls] = _define(_cls, f"{_cls.__name__}OnDay", date, CODE[_cls] + len(EVENTS))
        RECORD[_cls] = _define(_cls, _cls.__name__, datetime, CODE[_cls])
    else:
        RECORD[_cls] = _define(_cls, _cls.__name__, datetime, None)
MODEL_OF = RECORD_MODELS  # the model each record class stands for (kept in model.py: its metaclass reads it)

_decoder = msgspec.msgpack.Decoder(RECORD[formats.Debtor])
_encoder = msgspec.msgpack.Encoder()


# ---------------------------------------------------------------------------------------------
# pack: a validated model as the nested lists the records decode from; one generated function per
# model (no per-value type tests). msgspec writes Decimal and date as their text.


def _compile_packers() -> dict[type[BaseModel], Callable[[Any], list[Any]]]:
    namespace: dict[str, Any] = {"_date": date}
    lines = ["def _event(v):\n    return _PACK[type(v)](v)\n"]
    for cls in MODELS:
        outs = []
        if cls in CODE:  # the tag: which event, and whether its `at` is a bare date
            outs.append(f"({CODE[cls] + len(EVENTS)} if type(d['at']) is _date else {CODE[cls]})")
        for name, info in cls.model_fields.items():
            if cls in CODE and name == "at":
                outs.append("(d['at'] if type(d['at']) is _date else d['at'].isoformat())")
            else:
                outs.append(_pack_expression(info.annotation, f"d[{name!r}]"))
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
