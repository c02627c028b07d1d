"""Invoices and payments from an accounting system's CSV/XLSX export: reading, mapping, and the plan of changes.

Everything here is pure: bytes in, a plan out (the would-be text of every debtor file it touches and
what was created, skipped or in conflict). `dunning.cli.importcmd` writes the plan under the ledger
lock and makes one commit.

Rules a user can rely on (README, "Import"):

* columns are found by their Chinese or English names (用友/金蝶 exports: 客户名称, 发票号, 价税合计...),
  `--map COLUMN=FIELD` names the others; the header may sit below title rows;
* a row is an invoice, a payment, or both (an invoice row with 收款金额 filled in); a 类型 column
  with 发票/收款 says which, and a payments file (收款日期, 收款金额, 对应发票) holds only payments;
* idempotent: an invoice already in the ledger with the same data is skipped, with other data it is a
  conflict (never overwritten); a payment is the same payment when ref, date and amount agree;
* a new debtor's id is the slug of its customer code (客户编码), else of an ASCII name, else
  `d-` and 8 hex digits of the name's SHA-256 (no pinyin table is shipped), made unique.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any
from typing import Literal

import yaml

from dunning import gitlog
from dunning.ledger import DEBTORS_DIR
from dunning.ledger import LedgerErrors
from dunning.ledger import parse_debtor
from dunning.model import CENT
from dunning.model import SLUG
from dunning.model import Debtor
from dunning.model import Payment
from dunning.model import Settings
from dunning.model import due_date
from dunning.model import event_day
from dunning.model import event_instant
from dunning.model import validate_credit_code
from dunning.writer import event_text

# ---------------------------------------------------------------------------------------------
# fields and the column names that mean them

FIELDS: dict[str, tuple[str, ...]] = {
    "debtor": ("客户名称", "客户", "客户全称", "往来单位", "往来单位名称", "单位名称", "购买方", "购方名称",
               "购买方名称", "customer", "customername", "debtor", "debtorname", "client", "buyer"),
    "debtor_id": ("客户编码", "客户代码", "客户编号", "往来单位编码", "customercode", "customerid",
                  "customerno", "debtorid", "debtorcode"),
    "invoice": ("发票号", "发票号码", "发票编号", "单据号", "单据编号", "应收单号", "invoice", "invoiceno",
                "invoiceid", "invoicenumber", "documentno", "docno"),
    "contract": ("合同号", "合同编号", "合同", "contract", "contractno"),
    "issued": ("开票日期", "单据日期", "发票日期", "日期", "业务日期", "issued", "date", "invoicedate",
               "issuedate"),
    "due": ("到期日", "到期日期", "应收日期", "due", "duedate"),
    "amount": ("金额", "价税合计", "含税金额", "发票金额", "应收金额", "本币金额", "amount", "total",
               "invoiceamount", "grossamount"),
    "currency": ("币种", "币别", "货币", "currency", "cur"),
    "credit_code": ("统一社会信用代码", "信用代码", "纳税人识别号", "税号", "creditcode", "uscc", "taxid"),
    "industry": ("行业", "所属行业", "industry"),
    "region": ("地区", "区域", "所属地区", "region", "area"),
    "collector": ("业务员", "收款负责人", "催收员", "负责人", "collector", "salesperson", "sales", "owner"),
    "terms_days": ("账期", "账期天数", "信用期", "付款期限", "terms", "termsdays", "paymentterms"),
    "description": ("摘要", "品名", "货物名称", "备注", "description", "memo", "remark"),
    "kind": ("类型", "单据类型", "业务类型", "类别", "type", "rowtype", "kind"),
    "paid": ("收款日期", "回款日期", "到账日期", "paymentdate", "paidon", "paiddate", "receiptdate"),
    "paid_amount": ("收款金额", "回款金额", "到账金额", "已收金额", "本次收款", "paymentamount", "paidamount",
                    "received", "receiptamount"),
    "paid_invoice": ("对应发票", "核销发票", "对应发票号", "核销单据", "appliedinvoice", "forinvoice",
                     "paymentinvoice"),
    "ref": ("收款单号", "回单号", "凭证号", "流水号", "银行流水号", "ref", "reference", "receiptno", "paymentref"),
}

FIELD_HELP = {
    "debtor": "customer name", "debtor_id": "customer code (becomes the debtor id)", "invoice": "invoice id",
    "contract": "contract number", "issued": "invoice date", "due": "due date", "amount": "invoice amount",
    "currency": "currency (CNY, 人民币, 美元...)", "credit_code": "unified social credit code",
    "industry": "industry", "region": "region", "collector": "collector key or name", "terms_days": "terms in days",
    "description": "what was sold", "kind": "row type: 发票/invoice or 收款/回款/payment",
    "paid": "payment date", "paid_amount": "payment amount", "paid_invoice": "invoice a payment is for",
    "ref": "payment reference (bank slip)",
}

INVOICE_KINDS = ("发票", "销售发票", "专用发票", "普通发票", "应收", "应收单", "开票", "invoice", "inv", "bill")
PAYMENT_KINDS = ("收款", "回款", "收款单", "到账", "收到", "payment", "receipt", "paid", "pay")
TOTAL_WORDS = ("合计", "总计", "小计", "本页合计", "累计", "total", "subtotal", "grandtotal")

CURRENCY_WORDS = {"人民币": "CNY", "RMB": "CNY", "元": "CNY", "CNY": "CNY", "¥": "CNY", "美元": "USD", "美金": "USD",
                  "$": "USD", "欧元": "EUR", "€": "EUR", "港币": "HKD", "港元": "HKD", "日元": "JPY", "英镑": "GBP",
                  "£": "GBP"}

NEW_DEBTOR_TERMS_DAYS = 30  # the same default as `dunning new`


def _key(text: str) -> str:
    """A column name reduced for matching: NFKC, lower case, no spaces, punctuation or brackets."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s_\-./:()（）\[\]【】#*]+", "", folded)


_ALIASES = {_key(alias): name for name, aliases in FIELDS.items() for alias in aliases}


class ImportInputError(Exception):
    """The file cannot be imported as it is; every message names the file, row and column."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = list(messages)


# Rows are read and checked in Python at about 5,000 a second: past these sizes an import would run for
# minutes before it said anything. A bigger export is refused at once, with how to split it.
MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 100_000


def _too_big(source: str, what: str) -> ImportInputError:
    return ImportInputError([f"{source}: {what}; an import file may hold at most {MAX_IMPORT_BYTES // 1024 // 1024} "
                             f"MB and {MAX_IMPORT_ROWS:,} rows: split the export (by period or by customer) and "
                             "import the parts one after another (importing a part again changes nothing)"])


# ---------------------------------------------------------------------------------------------
# reading the table


@dataclass
class Table:
    """The rows of a CSV file or a worksheet: cells as read (text, or numbers and dates from XLSX)."""

    source: str
    rows: list[tuple[int, list[Any]]]
    sheet: str | None = None
    encoding: str | None = None


def decode_csv(data: bytes, source: str, encoding: str | None = None) -> tuple[str, str]:
    """The text of a CSV export: UTF-8 (with or without BOM), else GBK (read as GB18030, its superset)."""
    if encoding is not None:
        wanted = encoding.lower().replace("_", "-")
        codec = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "gbk": "gb18030", "gb2312": "gb18030",
                 "gb18030": "gb18030"}.get(wanted)
        if codec is None:
            raise ImportInputError([f"--encoding: use utf-8 or gbk, not '{encoding}'"])
        try:
            return data.decode(codec), wanted
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            raise ImportInputError([f"{source}:{line}: not {wanted}: byte 0x{data[error.start]:02x} cannot be "
                                    "read; try the other --encoding"]) from None
    for codec, name in (("utf-8-sig", "utf-8"), ("gb18030", "gbk")):
        try:
            return data.decode(codec), name
        except UnicodeDecodeError:
            continue
    raise ImportInputError([f"{source}: neither UTF-8 nor GBK text; save it as CSV UTF-8"])


def read_csv(data: bytes, source: str, encoding: str | None = None) -> Table:
    text, used = decode_csv(data, source, encoding)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", "\t", ";"), key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[Any]]] = []
    line = 1
    filled = 0
    try:
        for record in reader:
            rows.append((line, list(record)))
            line = reader.line_num + 1
            filled += any(cell.strip() for cell in record)
            if filled > MAX_IMPORT_ROWS:
                raise _too_big(source, f"more than {MAX_IMPORT_ROWS:,} rows")
    except csv.Error as error:
        raise ImportInputError([f"{source}:{line}: not CSV: {error}"]) from None
    return Table(source, rows, encoding=used)


def read_xlsx(data: bytes, source: str, sheet: str | None = None) -> Table:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ImportInputError([f"{source}: not an .xlsx workbook ({error}); an old .xls must be saved as .xlsx "
                                "or CSV first"]) from None
    try:
        names = list(book.sheetnames)
        if sheet is not None and sheet not in names:
            raise ImportInputError([f"--sheet: no sheet '{sheet}' in {source} (sheets: {', '.join(names)})"])
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        rows: list[tuple[int, list[Any]]] = []
        filled = 0
        for index, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            rows.append((index, list(values)))
            filled += any(not _blank(value) for value in values)
            if filled > MAX_IMPORT_ROWS:
                raise _too_big(source, f"more than {MAX_IMPORT_ROWS:,} rows in sheet {worksheet.title}")
        return Table(source, rows, sheet=worksheet.title)
    finally:
        book.close()


def read_table(data: bytes, source: str, *, sheet: str | None = None, encoding: str | None = None) -> Table:
    """A CSV or XLSX export as a table; the kind is told by the file's extension (and its first bytes)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise _too_big(source, f"{len(data) / 1024 / 1024:.0f} MB")
    lowered = source.lower()
    if lowered.endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        return read_xlsx(data, source, sheet)
    if lowered.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportInputError([f"{source}: an old Excel .xls workbook: save it as .xlsx or CSV first"])
    if sheet is not None:
        raise ImportInputError([f"--sheet: {source} is a CSV file, it has no sheets"])
    return read_csv(data, source, encoding)


# ---------------------------------------------------------------------------------------------
# the header and the columns


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_text(value: Any) -> str:
    return "" if value is None else str(value).strip()


@dataclass
class Columns:
    """Which column holds which field, the header's line, and the columns left unused."""

    header_line: int
    names: list[str]
    index: dict[str, int]
    ignored: list[str]

    def has(self, name: str) -> bool:
        return name in self.index


def parse_mapping(items: Sequence[str]) -> dict[str, str]:
    """`--map COLUMN=FIELD` options as {column: field}."""
    mapping: dict[str, str] = {}
    for item in items:
        column, sep, name = item.rpartition("=")
        if not sep or not column.strip() or not name.strip():
            raise ImportInputError([f"--map: expected COLUMN=FIELD, got '{item}'"])
        if name.strip() not in FIELDS:
            raise ImportInputError([f"--map {item}: unknown field '{name.strip()}' (fields: {', '.join(FIELDS)})"])
        mapping[column.strip()] = name.strip()
    return mapping


def find_columns(table: Table, mapping: Mapping[str, str]) -> Columns:
    """The header row (the first of the first 20 rows naming two known fields) and the field of each column."""
    wanted = {_key(column) for column in mapping}
    for _line, cells in table.rows[:20]:
        names = [_header_text(c) for c in cells]
        keys = [_key(n) for n in names]
        known = sum(1 for k in keys if k in _ALIASES or k in wanted)
        if known >= 2 or (known >= 1 and len([n for n in names if n]) == 1):
            break
    else:
        found = ", ".join(_header_text(c) for c in (table.rows[0][1] if table.rows else []) if not _blank(c))
        raise ImportInputError([f"{table.source}: no header row found in the first 20 rows (first row: "
                                f"{found or 'empty'}); name the columns with --map COLUMN=FIELD"])
    index: dict[str, int] = {}
    by_key = {_key(column): name for column, name in mapping.items()}
    for column in mapping:
        if _key(column) not in keys:
            raise ImportInputError([f"--map {column}={mapping[column]}: no column '{column}' in {table.source} "
                                    f"(columns: {', '.join(n for n in names if n)})"])
    ignored = []
    for position, key in enumerate(keys):
        if not key:
            continue
        name = by_key.get(key) or (_ALIASES.get(key) if _ALIASES.get(key) not in mapping.values() else None)
        if name is None or name in index:
            ignored.append(names[position])
            continue
        index[name] = position
    return Columns(_line, names, index, ignored)


# ---------------------------------------------------------------------------------------------
# cells as values

_AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+")


def parse_amount(value: Any) -> Decimal:
    """An amount as accounting exports write it: `1,234.50`, `¥1,234.50`, full-width digits, `(1,234.50)`.

    `,` groups thousands and `.` marks decimals; more than two decimals is an error, never rounded.
    """
    if isinstance(value, bool):
        raise ValueError(f"not an amount: '{value}'")
    if isinstance(value, int):
        return Decimal(value).quantize(CENT)
    if isinstance(value, float):
        exact = Decimal(repr(value))
        cents = exact.quantize(CENT)
        if abs(exact - cents) > Decimal("0.000001"):  # a spreadsheet's 0.1+0.2 noise is not a third decimal
            raise ValueError(f"amount has more than 2 decimals: '{value}'")
        return cents
    text = str(value) if isinstance(value, Decimal) else unicodedata.normalize("NFKC", str(value)).strip()
    shown = str(value).strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if text.startswith("-"):
        negative, text = True, text[1:].strip()
    for sign in ("RMB", "CNY", "USD", "EUR", "¥", "$", "€", "£", "元"):
        text = text.removeprefix(sign).removesuffix(sign).strip()
    text = text.replace(" ", "").replace("\u202f", "")
    if text.startswith("-"):
        negative, text = True, text[1:]
    if not _AMOUNT.fullmatch(text):
        raise ValueError(f"not an amount: '{shown}'")
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"not an amount: '{shown}'") from None
    if amount != amount.quantize(CENT):
        raise ValueError(f"amount has more than 2 decimals: '{shown}'")
    if amount >= Decimal("1e15"):
        raise ValueError(f"amount too large: '{shown}'")
    return -amount.quantize(CENT) if negative else amount.quantize(CENT)


_DATE_FORMS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
_EXCEL_EPOCH = date(1899, 12, 30)


def parse_day(value: Any, *, serial: bool = False) -> date:
    """A date from 2025-03-01, 2025/3/1, 2025.03.01, 2025年3月1日, 20250301, or a spreadsheet date cell.

    `serial`: a number is an Excel serial day (XLSX cells whose date format was lost).
    """
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise ValueError(f"not a date (it has a time of day): '{value}'")
        return value.date()
    if isinstance(value, date):
        return value
    if serial and isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 1 <= value < 2958466:
            return _EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError(f"not a date: '{value}'")
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for form in _DATE_FORMS:
        match = form.fullmatch(text)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                break
    raise ValueError(f"not a date: '{str(value).strip()}' (write 2025-03-01, 2025/3/1 or 2025年3月1日)")


def parse_currency(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text.upper() in CURRENCY_WORDS:
        return CURRENCY_WORDS[text.upper()]
    if text in CURRENCY_WORDS:
        return CURRENCY_WORDS[text]
    if re.fullmatch(r"[A-Za-z]{3}", text):
        return text.upper()
    raise ValueError(f"not a currency: '{text}' (write CNY, USD, EUR or 人民币, 美元...)")


def _text(value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return " ".join(unicodedata.normalize("NFKC", str(value)).split())


def name_key(name: str) -> str:
    """Company names compared as people read them: full-width brackets and spaces do not count."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)).lower()


# ---------------------------------------------------------------------------------------------
# rows as records


@dataclass(frozen=True)
class DebtorRef:
    """Who a row is about, with the facts a new debtor would get."""

    name: str | None
    code: str | None
    credit_code: str | None = None
    industry: str | None = None
    region: str | None = None
    collector: str | None = None
    terms_days: int | None = None
    currency: str | None = None


@dataclass(frozen=True)
class InvoiceRecord:
    line: int
    debtor: DebtorRef
    id: str
    issued: date
    amount: Decimal
    due: date | None = None
    contract: str | None = None
    currency: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class PaymentRecord:
    line: int
    debtor: DebtorRef
    day: date
    amount: Decimal
    invoice: str | None = None
    ref: str | None = None
    currency: str | None = None


Record = InvoiceRecord | PaymentRecord


@dataclass
class Records:
    source: str
    invoices: list[InvoiceRecord] = field(default_factory=list)
    payments: list[PaymentRecord] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    total_rows: int = 0


class _Row:
    """One row's cells by field, collecting errors as `file:line: column X: message`."""

    def __init__(self, table: Table, columns: Columns, line: int, cells: list[Any], errors: list[str]) -> None:
        self.table, self.columns, self.line, self.cells, self.errors = table, columns, line, cells, errors

    def raw(self, name: str) -> Any:
        position = self.columns.index.get(name)
        if position is None or position >= len(self.cells):
            return None
        value = self.cells[position]
        return None if _blank(value) else value

    def error(self, name: str, message: str) -> None:
        column = self.columns.names[self.columns.index[name]] if name in self.columns.index else name
        self.errors.append(f"{self.table.source}:{self.line}: column {column}: {message}")

    def text(self, name: str) -> str | None:
        return _text(self.raw(name))

    def required(self, name: str, what: str) -> Any:
        value = self.raw(name)
        if value is None:
            if name in self.columns.index:
                self.error(name, f"empty: {what} is required")
            else:
                self.errors.append(f"{self.table.source}:{self.line}: no {what} column "
                                   f"(name one with --map COLUMN={name})")
        return value

    def convert(self, name: str, value: Any, parser: Callable[[Any], Any]) -> Any:
        if value is None:
            return None
        try:
            return parser(value)
        except ValueError as problem:
            self.error(name, str(problem))
            return None

    def day(self, name: str, value: Any) -> date | None:
        serial = self.table.sheet is not None
        return self.convert(name, value, lambda v: parse_day(v, serial=serial))  # type: ignore[no-any-return]

    def amount(self, name: str, value: Any) -> Decimal | None:
        amount = self.convert(name, value, parse_amount)
        if amount is not None and amount <= 0:
            self.error(name, f"must be greater than 0, got {amount} (a credit note or refund is recorded with "
                       "`dunning event ID credit`)")
            return None
        return amount  # type: ignore[no-any-return]


def _kind_of(row: _Row) -> Literal["invoice", "payment", "skip"] | None:
    value = row.text("kind")
    if value is None:
        return None
    key = _key(value)
    if key in {_key(k) for k in INVOICE_KINDS}:
        return "invoice"
    if key in {_key(k) for k in PAYMENT_KINDS}:
        return "payment"
    if key in {_key(k) for k in TOTAL_WORDS}:
        return "skip"
    row.error("kind", f"not a row type: '{value}' (invoice: 发票/invoice; payment: 收款/回款/payment)")
    return "skip"


def _is_total_row(cells: list[Any]) -> bool:
    first = next((c for c in cells if not _blank(c)), None)
    return first is not None and _key(str(first)) in {_key(w) for w in TOTAL_WORDS}


def _collector_key(row: _Row, settings: Settings) -> str | None:
    value = row.text("collector")
    if value is None:
        return None
    if value in settings.collectors:
        return value
    for key, display in settings.collectors.items():
        if display == value:
            return key
    row.error("collector", f"unknown collector '{value}' (dunning.yaml collectors: "
              f"{', '.join(f'{k} ({v})' for k, v in settings.collectors.items()) or 'none'})")
    return None


def _debtor_ref(row: _Row, settings: Settings) -> DebtorRef:
    credit_code = row.convert("credit_code", row.text("credit_code"), validate_credit_code)
    terms = row.text("terms_days")
    terms_days = None
    if terms is not None:
        match = re.fullmatch(r"(\d{1,4})(?:\s*天|\s*days?)?", terms)
        if match is None:
            row.error("terms_days", f"not a number of days: '{terms}'")
        else:
            terms_days = int(match[1])
    return DebtorRef(name=row.text("debtor"), code=row.text("debtor_id"), credit_code=credit_code,
                     industry=row.text("industry"), region=row.text("region"),
                     collector=_collector_key(row, settings), terms_days=terms_days)


def read_records(table: Table, mapping: Mapping[str, str], settings: Settings) -> Records:
    """Every row as an invoice and/or a payment; raises ImportInputError listing every bad cell."""
    columns = find_columns(table, mapping)
    has_invoices = columns.has("invoice") and columns.has("amount")
    has_payments = columns.has("paid_amount") or columns.has("kind")
    if not (has_invoices or has_payments):
        raise ImportInputError([f"{table.source}:{columns.header_line}: no invoice columns (invoice id and amount: "
                                "发票号, 金额) nor payment columns (收款金额) found; name them with --map COLUMN=FIELD "
                                f"(fields: {', '.join(FIELDS)})"])
    payments_only = not columns.has("kind") and columns.has("paid_amount") and not columns.has("amount")
    records = Records(table.source, ignored_columns=columns.ignored)
    errors: list[str] = []
    for line, cells in table.rows:
        if line <= columns.header_line or all(_blank(c) for c in cells) or _is_total_row(cells):
            continue
        records.total_rows += 1
        row = _Row(table, columns, line, cells, errors)
        kind = _kind_of(row)
        if kind == "skip":
            continue
        debtor = _debtor_ref(row, settings)
        if debtor.name is None and debtor.code is None and not (
                kind == "payment" or payments_only) and (columns.has("debtor") or columns.has("debtor_id")):
            errors.append(f"{table.source}:{line}: column "
                          f"{columns.names[columns.index.get('debtor', columns.index.get('debtor_id', 0))]}: "
                          "empty: the customer is required")
            continue
        currency = row.convert("currency", row.text("currency"), parse_currency)
        if kind == "payment" or payments_only:
            _payment_row(row, debtor, currency, records, in_kind_column=kind == "payment")
            continue
        if kind is None and not has_invoices:
            if row.raw("paid_amount") is not None:
                _payment_row(row, debtor, currency, records, in_kind_column=False)
            continue
        invoice_id = row.required("invoice", "the invoice id")
        issued = row.day("issued", row.required("issued", "the invoice date"))
        amount = row.amount("amount", row.required("amount", "the amount"))
        due = row.day("due", row.raw("due"))
        if issued is not None and due is not None and due < issued:
            row.error("due", f"due {due} is before the invoice date {issued}")
            due = None
        if debtor.name is None and debtor.code is None:
            errors.append(f"{table.source}:{line}: no customer: a customer name (客户名称) or code (客户编码) column "
                          "is needed")
        elif invoice_id is not None and issued is not None and amount is not None:
            records.invoices.append(InvoiceRecord(
                line=line, debtor=debtor, id=str(_text(invoice_id)), issued=issued, amount=amount, due=due,
                contract=row.text("contract"), currency=currency, description=row.text("description")))
        if kind is None and row.raw("paid_amount") is not None:
            _payment_row(row, debtor, currency, records, in_kind_column=False,
                         invoice_id=None if invoice_id is None else str(_text(invoice_id)))
    if errors:
        raise ImportInputError(errors)
    return records


def _payment_row(row: _Row, debtor: DebtorRef, currency: str | None, records: Records, *, in_kind_column: bool,
                 invoice_id: str | None = None) -> None:
    combined = invoice_id is not None  # an invoice row that also records its payment: 收款日期 is needed
    date_field = "paid" if (row.raw("paid") is not None or combined or not row.columns.has("issued")) else "issued"
    amount_field = "paid_amount" if row.raw("paid_amount") is not None or not row.columns.has("amount") else "amount"
    day = row.day(date_field, row.required(date_field, "the payment date"))
    amount = row.amount(amount_field, row.required(amount_field, "the payment amount"))
    # In a file with a row-type column, a payment row's document number is the receipt's, not an invoice's.
    invoice = row.text("paid_invoice") or invoice_id or (None if in_kind_column else row.text("invoice"))
    ref = row.text("ref") or (row.text("invoice") if in_kind_column else None)
    if day is not None and amount is not None:
        records.payments.append(PaymentRecord(line=row.line, debtor=debtor, day=day, amount=amount, invoice=invoice,
                                              ref=ref, currency=currency))


# ---------------------------------------------------------------------------------------------
# the plan


Action = Literal["created", "skipped", "conflict"]


@dataclass(frozen=True)
class Outcome:
    """What became of one row (or of a debtor the import creates)."""

    line: int
    action: Action
    kind: Literal["debtor", "invoice", "payment"]
    debtor: str
    what: str
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "action": self.action, "kind": self.kind, "debtor": self.debtor,
                "what": self.what, "detail": self.detail}


@dataclass
class FileChange:
    debtor_id: str
    relpath: str
    before: str | None  # None: a new debtor file
    after: str


@dataclass
class ImportPlan:
    source: str
    outcomes: list[Outcome] = field(default_factory=list)
    changes: list[FileChange] = field(default_factory=list)

    def of(self, action: Action) -> list[Outcome]:
        return [o for o in self.outcomes if o.action == action]

    @property
    def conflicts(self) -> list[Outcome]:
        return self.of("conflict")

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for outcome in self.outcomes:
            name = f"{outcome.action} {outcome.kind}"
            out[name] = out.get(name, 0) + 1
        return out

    def commit_message(self) -> str:
        created = [o for o in self.outcomes if o.action == "created"]
        invoices = sum(1 for o in created if o.kind == "invoice")
        payments = sum(1 for o in created if o.kind == "payment")
        debtors = sum(1 for o in created if o.kind == "debtor")
        parts = [f"{invoices} invoice(s)", f"{payments} payment(s)"]
        if debtors:
            parts.append(f"{debtors} new debtor(s)")
        subject = f"import({self.source}): " + ", ".join(parts)
        touched = ", ".join(c.debtor_id for c in self.changes)
        return f"{subject}\n\nDebtors: {touched}."

    def as_json(self) -> dict[str, Any]:
        return {"file": self.source,
                "created": [o.as_json() for o in self.of("created")],
                "skipped": [o.as_json() for o in self.of("skipped")],
                "conflicts": [o.as_json() for o in self.conflicts],
                "files": [c.relpath for c in self.changes]}


def slug_of(text: str) -> str | None:
    """`C-001` -> `c-001`, `Leipzig Müller GmbH` -> `leipzig-muller-gmbh`; None when no ASCII is left."""
    ascii_text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:60].strip("-")
    return slug if slug and SLUG.fullmatch(slug) else None


def _latin(name: str) -> bool:
    """A name in Latin letters (accents allowed): its slug reads as the name."""
    stripped = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return stripped.isascii()


def new_debtor_id(ref: DebtorRef, taken: Callable[[str], bool]) -> str:
    """An id for a new debtor: its code's slug, else an ASCII name's slug, else `d-<hash of the name>`."""
    base = None
    if ref.code:
        base = slug_of(ref.code)
    if base is None and ref.name and _latin(ref.name):
        base = slug_of(ref.name)
    if base is None:
        base = "d-" + hashlib.sha256(name_key(ref.name or ref.code or "").encode("utf-8")).hexdigest()[:8]
    candidate, number = base, 2
    while taken(candidate):
        candidate, number = f"{base}-{number}", number + 1
    return candidate


def new_debtor_text(ref: DebtorRef) -> str:
    """The facts of a new debtor file, as `dunning new` writes them."""
    document: dict[str, Any] = {"name": ref.name or ref.code}
    for key, value in (("credit_code", ref.credit_code), ("industry", ref.industry), ("region", ref.region),
                       ("collector", ref.collector), ("currency", ref.currency)):
        if value is not None:
            document[key] = value
    document["terms_days"] = ref.terms_days if ref.terms_days is not None else NEW_DEBTOR_TERMS_DAYS
    document["invoices"] = []
    dumped = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100)
    return dumped + "events: []\n"


# ---------------------------------------------------------------------------------------------
# text surgery: invoices into the facts, payments at the end


class TextError(Exception):
    pass


_TOP_KEY = re.compile(r"^(?:invoices|\"invoices\"|'invoices')\s*:(?P<rest>.*)$")


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _list_column(lines: Sequence[str]) -> int:
    """The indentation of the file's block lists (dash at column 0 or 2), for a first list."""
    for line in lines:
        stripped = line.lstrip(" ")
        if _content(line) and line[:1] == " " and stripped.startswith("- "):
            return len(line) - len(stripped)
        if _content(line) and line.startswith("- "):
            return 0
    return 2


def insert_invoices(text: str, items: Sequence[Mapping[str, Any]]) -> str:
    """The file with invoice items added at the end of its `invoices:` list; nothing else is rewritten.

    An `invoices: []` line becomes `invoices:`; a file without the key gets it just before `events:`.
    """
    if not items:
        return text
    try:
        shape = gitlog.layout(text)
    except gitlog.LayoutError as problem:
        raise TextError(f"cannot insert invoices: {problem}") from None
    newline = shape.newline
    facts = list(shape.facts)
    rest = text[len("".join(facts)):]
    if facts and not facts[-1].endswith("\n"):
        facts[-1] += newline
    start = next((i for i, line in enumerate(facts) if _TOP_KEY.match(line.rstrip("\r\n"))), None)
    if start is None:
        block = "invoices:" + newline + "".join(event_text(item, _list_column(facts), newline) for item in items)
        end = len(facts)
        while end > 0 and not _content(facts[end - 1]):
            end -= 1
        return "".join(facts[:end]) + block + "".join(facts[end:]) + rest
    match = _TOP_KEY.match(facts[start].rstrip("\r\n"))
    assert match is not None
    value = match["rest"].split("#", 1)[0].strip()
    if value in ("[]", "[ ]"):
        comment = match["rest"].split("#", 1)[1] if "#" in match["rest"] else None
        header = "invoices:" + (f"  #{comment}" if comment else "") + newline
        block = header + "".join(event_text(item, _list_column(facts), newline) for item in items)
        return "".join(facts[:start]) + block + "".join(facts[start + 1:]) + rest
    if value:
        raise TextError("cannot insert invoices: `invoices:` is not written as a block list of `- id: ...` items")
    end = start + 1
    last = start
    column: int | None = None
    while end < len(facts):
        line = facts[end]
        if _content(line):
            stripped = line.lstrip(" ")
            indent = len(line) - len(stripped)
            if indent == 0 and not stripped.startswith("-"):
                break
            if column is None and (stripped.startswith("- ") or stripped.rstrip() == "-"):
                column = indent
            last = end
        end += 1
    if column is None:
        column = _list_column(facts)
    block = "".join(event_text(item, column, newline) for item in items)
    return "".join(facts[: last + 1]) + block + "".join(facts[last + 1:]) + rest


def append_events(text: str, events: Sequence[Mapping[str, Any]]) -> str:
    """The file with events appended at its end (`events: []` becomes `events:`)."""
    if not events:
        return text
    try:
        shape = gitlog.layout(text)
    except gitlog.LayoutError as problem:
        raise TextError(f"cannot append events: {problem}") from None
    newline = shape.newline
    if shape.header is not None and not shape.inline_empty:
        column = shape.column if shape.column is not None else _list_column(shape.facts)
        separator = "" if text.endswith("\n") else newline
        return text + separator + "".join(event_text(e, column, newline) for e in events)
    column = _list_column(shape.facts)
    body = "".join(event_text(e, column, newline) for e in events)
    if shape.header is None:
        separator = "" if not text or text.endswith("\n") else newline
        return text + separator + "events:" + newline + body
    comment = shape.header.split("#", 1)[1].rstrip("\r\n") if "#" in shape.header else None
    header = "events:" + (f"  #{comment}" if comment else "") + newline
    lead = "".join(shape.lead)
    if lead and not lead.endswith("\n"):
        lead += newline
    return "".join(shape.facts) + header + lead + body


# ---------------------------------------------------------------------------------------------
# planning


@dataclass
class _Pending:
    debtor_id: str
    ref: DebtorRef | None  # set for a debtor this import creates
    line: int
    invoices: list[InvoiceRecord] = field(default_factory=list)
    payments: list[PaymentRecord] = field(default_factory=list)


def _invoice_item(record: InvoiceRecord, default_currency: str) -> dict[str, Any]:
    item: dict[str, Any] = {"id": record.id}
    if record.contract:
        item["contract"] = record.contract
    item["issued"] = record.issued
    if record.due is not None:
        item["due"] = record.due
    item["amount"] = record.amount
    if record.currency and record.currency != default_currency:
        item["currency"] = record.currency
    if record.description:
        item["description"] = record.description
    return item


def _payment_event(record: PaymentRecord, default_currency: str) -> dict[str, Any]:
    event: dict[str, Any] = {"at": record.day, "type": "payment", "amount": record.amount}
    if record.currency and record.currency != default_currency:
        event["currency"] = record.currency
    if record.invoice:
        event["invoice"] = record.invoice
    if record.ref:
        event["ref"] = record.ref
    return event


def _payment_key(ref: str | None, day: date, amount: Decimal) -> tuple[str, date, Decimal]:
    return (" ".join((ref or "").split()), day, amount)


def plan_import(records: Records, debtors: Mapping[str, Debtor], settings: Settings,
                read_text: Callable[[str], str]) -> ImportPlan:
    """What the import would do to the ledger: outcomes per row and the would-be text of each file.

    `debtors` is the loaded (checked) ledger; `read_text(id)` gives a debtor file's current text.
    Raises ImportInputError for rows that cannot be placed (unknown invoice, unknown debtor of a payment).
    """
    plan = ImportPlan(records.source)
    errors: list[str] = []
    source = records.source
    owner: dict[str, str] = {inv.id: debtor_id for debtor_id, d in debtors.items() for inv in d.invoices}
    by_name: dict[str, str] = {}
    by_credit: dict[str, str] = {}
    for debtor_id, debtor in debtors.items():
        by_name.setdefault(name_key(debtor.name), debtor_id)
        if debtor.name_en:
            by_name.setdefault(name_key(debtor.name_en), debtor_id)
        if debtor.credit_code:
            by_credit.setdefault(debtor.credit_code, debtor_id)
    pending: dict[str, _Pending] = {}
    new_by_key: dict[str, str] = {}

    def existing(ref: DebtorRef) -> str | None:
        code = slug_of(ref.code) if ref.code else None
        if code is not None and code in debtors:
            return code
        if ref.credit_code and ref.credit_code in by_credit:
            return by_credit[ref.credit_code]
        if ref.name and name_key(ref.name) in by_name:
            return by_name[name_key(ref.name)]
        for key in (f"code:{ref.code}" if ref.code else None, f"name:{name_key(ref.name)}" if ref.name else None):
            if key is not None and key in new_by_key:
                return new_by_key[key]
        return None

    def default_currency(debtor_id: str) -> str:
        debtor = debtors.get(debtor_id)
        if debtor is not None:
            return debtor.currency or settings.currency
        entry = pending.get(debtor_id)
        return (entry.ref.currency if entry is not None and entry.ref is not None else None) or settings.currency

    # invoices first, so that payments in the same file can name them
    seen: dict[str, InvoiceRecord] = {}
    for record in records.invoices:
        target = existing(record.debtor)
        if record.id in owner:
            owner_id = owner[record.id]
            named = record.debtor.name
            if (target is not None and target != owner_id) or (target is None and named is not None):
                plan.outcomes.append(Outcome(record.line, "conflict", "invoice", owner_id, record.id,
                                             f"recorded for {DEBTORS_DIR}/{owner_id}.yaml "
                                             f"({debtors[owner_id].name}), the file says "
                                             f"{record.debtor.name or record.debtor.code}"))
                continue
            differences = _invoice_differences(debtors[owner_id], record, settings)
            if differences:
                plan.outcomes.append(Outcome(record.line, "conflict", "invoice", owner_id, record.id,
                                             "; ".join(differences) + " (the ledger is kept; correct it by hand, "
                                             "or record a credit note)"))
            else:
                plan.outcomes.append(Outcome(record.line, "skipped", "invoice", owner_id, record.id,
                                             "already in the ledger"))
            continue
        if record.id in seen:
            earlier = seen[record.id]
            same = (earlier.issued, earlier.amount, earlier.due, earlier.currency, earlier.debtor.name) == (
                record.issued, record.amount, record.due, record.currency, record.debtor.name)
            plan.outcomes.append(Outcome(
                record.line, "skipped" if same else "conflict", "invoice",
                next(p.debtor_id for p in pending.values() if earlier in p.invoices), record.id,
                f"repeats line {earlier.line}" if same else f"line {earlier.line} gives other data for it"))
            continue
        if target is None:
            target = new_debtor_id(record.debtor, lambda i: i in debtors or i in pending)
            for key in (f"code:{record.debtor.code}" if record.debtor.code else None,
                        f"name:{name_key(record.debtor.name)}" if record.debtor.name else None):
                if key is not None:
                    new_by_key[key] = target
            own = record.currency if record.currency not in (None, settings.currency) else None
            pending[target] = _Pending(target, dataclasses.replace(record.debtor, currency=own), record.line)
            plan.outcomes.append(Outcome(record.line, "created", "debtor", target,
                                         record.debtor.name or record.debtor.code or target,
                                         f"new file {DEBTORS_DIR}/{target}.yaml"))
        entry = pending.setdefault(target, _Pending(target, None, record.line))
        entry.invoices.append(record)
        seen[record.id] = record
        plan.outcomes.append(Outcome(record.line, "created", "invoice", target, record.id,
                                     f"{record.amount} {record.currency or default_currency(target)} due "
                                     f"{record.due or 'by terms'}"))

    new_owner = {r.id: p.debtor_id for p in pending.values() for r in p.invoices}
    keys_seen: dict[tuple[str, tuple[str, date, Decimal]], int] = {}
    for payment in records.payments:
        payer = existing(payment.debtor) if (payment.debtor.name or payment.debtor.code) else None
        if payment.invoice is not None:
            holder: str | None = owner.get(payment.invoice) or new_owner.get(payment.invoice)
            if holder is None:
                errors.append(f"{source}:{payment.line}: unknown invoice '{payment.invoice}': it is neither in the "
                              "ledger nor among this file's invoices")
                continue
            if payer is not None and payer != holder:
                errors.append(f"{source}:{payment.line}: invoice '{payment.invoice}' belongs to {holder}, not to "
                              f"{payer}")
                continue
            payer = holder
        if payer is None:
            who = payment.debtor.name or payment.debtor.code
            errors.append(f"{source}:{payment.line}: " + (f"unknown debtor '{who}' for a payment (import its invoices "
                                                         "first, or create it with `dunning new`)" if who else
                                                         "a payment needs a customer or an invoice column"))
            continue
        if payment.invoice is not None and payment.currency is not None:
            invoice_currency = _currency_of_invoice(payment.invoice, payer, debtors, pending, settings)
            if invoice_currency != payment.currency:
                errors.append(f"{source}:{payment.line}: payment in {payment.currency} names invoice "
                              f"{payment.invoice} in {invoice_currency}")
                continue
        pkey = _payment_key(payment.ref, payment.day, payment.amount)
        what = f"{payment.amount} on {payment.day}" + (f" ref {payment.ref}" if payment.ref else "")
        recorded = _recorded_on(debtors.get(payer), payment, settings)
        if recorded is not None or (payer, pkey) in keys_seen:
            detail = (f"repeats line {keys_seen[(payer, pkey)]}" if recorded is None else "already in the ledger"
                      + (f" (recorded on {recorded})" if recorded != payment.day else ""))
            plan.outcomes.append(Outcome(payment.line, "skipped", "payment", payer, what, detail))
            continue
        keys_seen[(payer, pkey)] = payment.line
        pending.setdefault(payer, _Pending(payer, None, payment.line)).payments.append(payment)

    if errors:
        raise ImportInputError(errors)

    for entry in sorted(pending.values(), key=lambda p: p.debtor_id):
        old = debtors.get(entry.debtor_id)
        last = None if old is None or not old.events else old.events[-1]
        accepted: list[PaymentRecord] = []
        for payment in sorted(entry.payments, key=lambda p: (p.day, p.line)):
            what = f"{payment.amount} on {payment.day}" + (f" ref {payment.ref}" if payment.ref else "")
            if last is not None and event_instant(payment.day, settings.zone) < event_instant(last.at, settings.zone):
                plan.outcomes.append(Outcome(
                    payment.line, "conflict", "payment", entry.debtor_id, what,
                    f"dated before the debtor's last event ({last.at.isoformat()} {last.type}): events are "
                    "append-only in time order; record it by hand with `dunning pay` (keep this ref, give the "
                    "real date in the summary): the next import then skips it"))
                continue
            accepted.append(payment)
            plan.outcomes.append(Outcome(payment.line, "created", "payment", entry.debtor_id, what,
                                         f"to {payment.invoice}" if payment.invoice else "oldest open first"))
        if not entry.invoices and not accepted:
            continue
        relpath = f"{DEBTORS_DIR}/{entry.debtor_id}.yaml"
        before = None if old is None else read_text(entry.debtor_id)
        base = before if before is not None else new_debtor_text(entry.ref or DebtorRef(entry.debtor_id, None))
        currency = default_currency(entry.debtor_id)
        try:
            after = insert_invoices(base, [_invoice_item(r, currency) for r in entry.invoices])
            after = append_events(after, [_payment_event(p, currency) for p in accepted])
        except TextError as problem:
            errors.append(f"{relpath}: {problem}")
            continue
        problem_text = _verify(after, relpath, old, entry, accepted)
        if problem_text:
            errors.append(f"{source}:{entry.line}: {relpath} would not pass check: {problem_text}")
            continue
        plan.changes.append(FileChange(entry.debtor_id, relpath, before, after))
    if errors:
        raise ImportInputError(errors)
    plan.outcomes.sort(key=lambda o: (o.line, ("debtor", "invoice", "payment").index(o.kind)))
    return plan


def _recorded_on(debtor: Debtor | None, payment: PaymentRecord, settings: Settings) -> date | None:
    """The day of the ledger's payment that is this one: same ref, date and amount; or, for a payment
    with a ref, same ref and amount on another day (one recorded by hand after later events)."""
    if debtor is None:
        return None
    key = _payment_key(payment.ref, payment.day, payment.amount)
    for event in debtor.events:
        if not isinstance(event, Payment):
            continue
        day = event_day(event.at, settings.zone)
        if _payment_key(event.ref, day, event.amount) == key:
            return day
        if payment.ref and _payment_key(event.ref, payment.day, event.amount) == key:
            return day
    return None


def _currency_of_invoice(invoice_id: str, debtor_id: str, debtors: Mapping[str, Debtor],
                         pending: Mapping[str, _Pending], settings: Settings) -> str:
    debtor = debtors.get(debtor_id)
    fallback = (debtor.currency if debtor is not None else None) or settings.currency
    if debtor is not None:
        for invoice in debtor.invoices:
            if invoice.id == invoice_id:
                return invoice.currency or fallback
    entry = pending.get(debtor_id)
    for record in entry.invoices if entry is not None else []:
        if record.id == invoice_id:
            return record.currency or fallback
    return fallback


def _invoice_differences(debtor: Debtor, record: InvoiceRecord, settings: Settings) -> list[str]:
    invoice = next(i for i in debtor.invoices if i.id == record.id)
    differences = []
    if invoice.amount != record.amount:
        differences.append(f"amount: ledger {invoice.amount}, file {record.amount}")
    if invoice.issued != record.issued:
        differences.append(f"issued: ledger {invoice.issued}, file {record.issued}")
    if record.due is not None and due_date(debtor, invoice) != record.due:
        differences.append(f"due: ledger {due_date(debtor, invoice)}, file {record.due}")
    currency = invoice.currency or debtor.currency or settings.currency
    if record.currency is not None and record.currency != currency:
        differences.append(f"currency: ledger {currency}, file {record.currency}")
    if record.contract and invoice.contract and record.contract != invoice.contract:
        differences.append(f"contract: ledger {invoice.contract}, file {record.contract}")
    return differences


def _verify(text: str, relpath: str, before: Debtor | None, entry: _Pending,
            payments: Sequence[PaymentRecord]) -> str | None:
    """The would-be file reads back as the old facts plus exactly the new invoices and events."""
    try:
        after = parse_debtor(text, relpath)
    except LedgerErrors as errors:
        return "; ".join(e.message for e in errors.errors)
    old_invoices = list(before.invoices) if before is not None else []
    old_events = list(before.events) if before is not None else []
    if after.invoices[: len(old_invoices)] != old_invoices or [i.id for i in after.invoices[len(old_invoices):]] != [
            r.id for r in entry.invoices]:
        return "internal: the invoices do not read back as inserted"
    if after.events[: len(old_events)] != old_events or len(after.events) != len(old_events) + len(payments):
        return "internal: the events do not read back as appended"
    if before is not None:
        keep = {"invoices", "events"}
        if after.model_dump(exclude=keep) != before.model_dump(exclude=keep):
            return "internal: the facts above the invoices would change"
    return None
