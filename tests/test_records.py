"""Loaded debtors are records (dunning/records.py): they must stand in for the models exactly.

Every command reads records; writers, `show` and history read models. Whatever a command can ask
of one it must be able to ask of the other with the same answer: fields, values and their types,
properties, isinstance, equality, pydantic's methods. A record that differed would make a command
silently wrong on a warm cache only, so each of these is checked here on the whole sample ledger.
"""

from __future__ import annotations

import copy
import pickle
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgspec
import pytest
from pydantic import BaseModel

from dunning import model
from dunning import records
from dunning.ledger import load_ledger
from dunning.ledger import parse_debtor

SAMPLE_LEDGER = Path(__file__).resolve().parent.parent / "ledger"
SAMPLE = sorted((SAMPLE_LEDGER / "debtors").glob("*.yaml"))


def parsed(path: Path) -> model.Debtor:
    return parse_debtor(path.read_bytes(), f"debtors/{path.name}")


def walk(value: Any) -> list[Any]:
    """Every model or record inside `value`, `value` first."""
    found = [value] if isinstance(value, BaseModel) or type(value) in model.RECORD_MODELS else []
    children: list[Any] = []
    if found:
        fields = type(value).model_fields if isinstance(value, BaseModel) else records.MODEL_OF[
            type(value)].model_fields
        children = [getattr(value, name) for name in fields]
    elif isinstance(value, list):
        children = value
    return found + [inner for child in children for inner in walk(child)]


def test_every_model_of_a_debtor_has_a_record_with_its_fields_in_order() -> None:
    assert set(records.RECORD) == set(records.MODELS)
    assert {model.Debtor, model.Invoice, model.Contact, model.Guarantee, model.Promise, model.Installment,
            model.EvidenceRef, *records.EVENTS} == set(records.MODELS)
    for cls, record in records.RECORD.items():
        assert record.__struct_fields__ == tuple(cls.model_fields), cls
        assert record.__name__ == cls.__name__
        assert issubclass(record, msgspec.Struct)
    # an event has a second record for a bare date `at` (the same fields, the model it stands for)
    assert set(records.ON_DAY) == set(records.EVENTS)
    for cls, record in records.ON_DAY.items():
        assert record.__struct_fields__ == tuple(cls.model_fields) and records.MODEL_OF[record] is cls


def test_settings_are_not_records() -> None:
    assert model.Settings not in records.RECORD  # read once a command, validated every time


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: p.stem)
def test_a_sample_debtor_reads_back_as_records_equal_field_by_field(path: Path) -> None:
    original = parsed(path)
    record = records.unpack(records.pack(original))
    assert type(record) is records.RECORD[model.Debtor]
    before, after = walk(original), walk(record)
    assert [type(m) for m in before] == [records.MODEL_OF[type(r)] for r in after]
    for one, other in zip(before, after, strict=True):
        for name in type(one).model_fields:
            mine, theirs = getattr(one, name), getattr(other, name)
            if isinstance(mine, (BaseModel, list)):
                continue  # compared item by item in the walk
            # the same value *and* the same type: a bare date must not come back as a date-time
            assert type(theirs) is type(mine), (name, mine, theirs)
            assert theirs == mine, name
            if isinstance(mine, datetime):
                assert theirs.utcoffset() == mine.utcoffset(), name  # the offset it was recorded with
                assert theirs.isoformat() == mine.isoformat()
            if isinstance(mine, Decimal):
                assert str(theirs) == str(mine)  # 0.10 stays 0.10, 1E+3 is not re-spelt
        for name, value in vars(type(one)).items():
            if isinstance(value, property):
                assert getattr(other, name) == getattr(one, name), name


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: p.stem)
def test_a_record_equals_its_model_and_dumps_the_same(path: Path) -> None:
    original = parsed(path)
    record = records.unpack(records.pack(original))
    assert record == original and original == record
    assert record.events == original.events and original.invoices == record.invoices
    assert record != records.unpack(records.pack(original.model_copy(update={"name": "别的公司"})))
    for options in ({}, {"mode": "json"}, {"by_alias": True, "exclude_none": True, "exclude_defaults": True},
                    {"exclude": {"events"}}):
        assert record.model_dump(**options) == original.model_dump(**options), options
    assert records.pack(record) == records.pack(original)  # a record packs as its model does


GUARANTEED = """\
name: 乙公司
guarantees:
  - {guarantor: 丙公司, kind: joint, period_months: 6}
invoices:
  - {id: G-1, issued: 2026-01-05, due: 2026-02-05, amount: 100.00}
events:
  - {type: guarantor_demand, at: 2026-03-01T10:00:00+08:00, guarantor: 丙公司, via: ems, delivered: 2026-03-03}
"""


def test_isinstance_against_the_models_holds_for_records() -> None:
    guaranteed = parse_debtor(GUARANTEED, "debtors/guaranteed.yaml")
    debtors = [records.unpack(records.pack(d)) for d in [*map(parsed, SAMPLE), guaranteed]]
    events = [event for debtor in debtors for event in debtor.events]
    assert {records.MODEL_OF[type(event)] for event in events} == set(records.EVENTS)
    assert {type(event) for event in events} & set(records.ON_DAY.values())  # bare dates are there too
    for event in events:
        assert isinstance(event, model.EventBase) and isinstance(event, model.Strict)
        cls = records.MODEL_OF[type(event)]
        assert isinstance(event, cls)
        assert not isinstance(event, model.Debtor)
        others = [c for c in records.EVENTS if c is not cls]
        assert not any(isinstance(event, other) for other in others)
        assert isinstance(event, (model.Invoice, cls)) and not isinstance(event, (model.Invoice, model.Contact))
    assert isinstance(debtors[0], model.Debtor) and not isinstance(debtors[0], BaseModel)  # pydantic's own: no
    # a model still answers for itself and its bases, and not for others
    payment = model.Payment(type="payment", at=date(2026, 1, 5), amount=Decimal("1.00"))
    assert isinstance(payment, model.Payment) and isinstance(payment, model.EventBase)
    assert not isinstance(payment, model.Credit) and not isinstance("payment", model.Payment)


def test_records_are_frozen_like_the_models() -> None:
    debtor = records.unpack(records.pack(parsed(SAMPLE[0])))
    with pytest.raises(AttributeError):
        debtor.name = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        debtor.events[0].at = date(2020, 1, 1)  # type: ignore[misc]


def test_pydantic_methods_answer_through_the_model() -> None:
    debtor = records.unpack(records.pack(parsed(SAMPLE[0])))
    copied = debtor.model_copy(update={"name": "新名字"})
    assert isinstance(copied, BaseModel) and copied.name == "新名字" and copied.invoices == debtor.invoices
    assert debtor.model_fields_set == set(model.Debtor.model_fields)
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        debtor.nonsense  # type: ignore[attr-defined]


def test_records_pickle_and_copy() -> None:
    debtor = records.unpack(records.pack(parsed(SAMPLE[0])))
    assert pickle.loads(pickle.dumps(debtor)) == debtor
    assert copy.deepcopy(debtor) == debtor and copy.copy(debtor) == debtor


def test_moments_keep_their_kind_and_offset() -> None:
    text = """\
name: 甲公司
invoices:
  - {id: F-1, issued: 2026-01-05, due: 2026-02-05, amount: 100.10}
events:
  - {type: payment, at: 2026-03-01, amount: 0.10}
  - {type: call, at: 2026-03-02T09:30:00+08:00, with: 王经理, outcome: reached}
  - {type: call, at: 2026-03-02T02:30:00+01:00, with: Herr Müller, outcome: reached}
  - {type: note, at: '2026-03-03T00:00:00Z'}
"""
    debtor = records.unpack(records.pack(parse_debtor(text, "debtors/x.yaml")))
    moments = [event.at for event in debtor.events]
    assert type(moments[0]) is date and moments[0] == date(2026, 3, 1)
    assert moments[1].utcoffset() == timedelta(hours=8) and moments[1].hour == 9
    assert moments[2].utcoffset() == timedelta(hours=1) and moments[2].hour == 2
    assert moments[3].utcoffset() == timedelta(0)
    assert debtor.events[0].amount == Decimal("0.10") and str(debtor.events[0].amount) == "0.10"
    assert str(debtor.invoices[0].amount) == "100.10"


def test_cold_and_warm_loads_give_the_same_records(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "ledger"
    shutil.copytree(SAMPLE_LEDGER, root, ignore=shutil.ignore_patterns(".dunning"))
    cold = load_ledger(root).debtors
    warm = load_ledger(root).debtors
    assert list(cold) == list(warm)
    for debtor_id, debtor in cold.items():
        assert type(debtor) is type(warm[debtor_id]) is records.RECORD[model.Debtor]
        assert debtor == warm[debtor_id]
        assert debtor == parsed(root / "debtors" / f"{debtor_id}.yaml")


@pytest.mark.parametrize("annotation", [
    dict[str, int],
    datetime,  # a date-time only as an event's `at`
    model.Moment,  # the same, outside `at`
    model.Moment | None,
    list[model.Moment],
    int | str,
    model.Invoice | str,
], ids=str)
def test_a_field_records_cannot_carry_is_refused_when_the_module_loads(annotation: Any) -> None:
    with pytest.raises(TypeError, match="records cannot carry"):
        records._record_type(annotation, "Debtor.new_field")


def test_an_optional_at_is_refused_and_the_moment_is_carried_only_as_at() -> None:
    assert records._record_type(model.Moment, "Payment.at", datetime) is datetime
    assert records._record_type(model.Moment, "PaymentOnDay.at", date) is date
    with pytest.raises(TypeError, match="records cannot carry"):
        records._record_type(model.Moment | None, "Payment.at", datetime)


def test_optional_lists_and_models_pack_and_read_back() -> None:
    assert records._pack_expression(list[model.Installment] | None, "v") == (
        "(None if v is None else [P_Installment(x) for x in v])")
    assert records._pack_expression(list[str] | None, "v") == "v"
    assert records._pack_expression(model.Promise | None, "v") == "(None if v is None else P_Promise(v))"
    assert records._record_type(list[model.Installment] | None, "X.y") == (
        list[records.RECORD[model.Installment]] | None)


def test_a_plain_method_on_a_model_is_refused_when_the_module_loads() -> None:
    class WithMethod(model.Strict):
        amount: Decimal

        def doubled(self) -> Decimal:
            return self.amount * 2

    class WithProperty(model.Strict):
        amount: Decimal

        @property
        def doubled(self) -> Decimal:
            return self.amount * 2

    with pytest.raises(TypeError, match=r"WithMethod\.doubled: records copy properties only"):
        records._namespace(WithMethod)
    assert isinstance(records._namespace(WithProperty)["doubled"], property)


def test_a_record_given_to_a_model_becomes_the_model() -> None:
    loaded = records.unpack(records.pack(parsed(SAMPLE_LEDGER / "debtors" / "benxi-taihe.yaml")))
    made = model.Debtor(name="乙公司", terms_days=30, invoices=list(loaded.invoices))
    assert all(type(i) is model.Invoice for i in made.invoices)
    assert made.model_dump_json()  # a record inside would not dump
    validated = model.Debtor.model_validate({"name": "乙公司", "events": list(loaded.events)})
    assert all(isinstance(e, BaseModel) for e in validated.events)
    assert type(model.Invoice.model_validate(loaded.invoices[0])) is model.Invoice
    copied = loaded.model_copy(update={"events": [*loaded.events]})
    assert all(isinstance(e, BaseModel) for e in copied.events) and copied.model_dump_json()


def test_records_hash_and_iterate_as_their_models() -> None:
    original = parsed(SAMPLE_LEDGER / "debtors" / "benxi-taihe.yaml")
    loaded = records.unpack(records.pack(original))
    for one, other in zip([*original.invoices, *original.contacts], [*loaded.invoices, *loaded.contacts],
                          strict=True):
        assert hash(one) == hash(other) and len({one, other}) == 1
        assert dict(one) == dict(other) and list(other) == list(one)


def test_exclude_unset_is_refused_on_a_record() -> None:
    loaded = records.unpack(records.pack(parsed(SAMPLE[0])))
    with pytest.raises(TypeError, match="does not know which fields its file set"):
        loaded.model_dump(exclude_unset=True)
