"""A bundle for legal review: per debtor a Markdown (and PDF) case file, its sources, and a manifest of hashes.

Layout of a bundle (a folder or a .zip):

    index.md                      the debtors in the bundle, with their open balances
    <id>/bundle.md                the case file: debtor, contacts, guarantees, invoices as of the date,
                                  deadlines with their basis, the chronology of every event (who, what,
                                  when; promises kept or broken; letters with delivery and tracking;
                                  evidence with sha256), the letters, the evidence manifest, the git
                                  audit trail
    <id>/bundle.pdf               the same, as PDF (`--format pdf|both`)
    <id>/debtor.yaml              the debtor file as it is in the ledger
    <id>/letters/...              the files of letters/<id>/
    <id>/evidence/...             the evidence files of the debtor
    <id>/MANIFEST.sha256          sha256 of every file of the folder (`sha256sum -c MANIFEST.sha256`)

With `--redact` personal data is masked in every text (see `dunning.redact`): bundle.md, the YAML copy,
the git trail and the text letters (.md, .html, .txt). Files whose text cannot be masked reliably are
withheld and listed as such: evidence (scans, recordings: only its manifest with sha256 is included),
letter PDFs and .eml files (the redacted .md/.html of the same letter is there; `--format pdf`
renders the case file itself from redacted text).

`read_sources` and `write_bundle` are the only functions that touch the disk; the rest is pure.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any

from dunning.balances import DebtorState
from dunning.balances import debtor_state
from dunning.balances import promise_states
from dunning.gitlog import HistoryEntry
from dunning.model import Debtor
from dunning.model import Settings
from dunning.model import event_day
from dunning.redact import Redactor
from dunning.render import Column
from dunning.render import markdown
from dunning.render import money_display
from dunning.writer import KEY_ORDER

LETTERS_DIR = "letters"
EVIDENCE_DIR = "evidence"
TEXT_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".csv", ".json", ".yaml", ".yml")
BUNDLE_FORMATS = ("md", "pdf", "both")

TYPE_LABELS = {
    "call": "电话 call", "visit": "上门 visit", "wechat": "微信 WeChat", "sms": "短信 SMS", "email": "邮件 email",
    "letter": "函件 letter", "payment": "付款 payment", "credit": "冲减 credit", "plan": "分期计划 plan",
    "acknowledgment": "债务确认 acknowledgment", "dispute": "异议 dispute", "resolve": "异议解决 resolve",
    "legal": "法律程序 legal", "guarantor_demand": "向保证人催告 guarantor demand", "status": "状态 status",
    "note": "备注 note",
}
FIELD_LABELS = {
    "with": "对象 with", "outcome": "结果 outcome", "summary": "摘要 summary", "promise": "承诺 promise",
    "amount": "金额 amount", "currency": "币种 currency", "invoice": "发票 invoice", "invoices": "涉及发票 invoices",
    "ref": "凭证 ref", "reason": "原因 reason", "installments": "分期 installments", "signed": "已签署 signed",
    "demand": "催告 demand", "delivered": "送达 delivered", "via": "方式 via", "tracking": "运单号 tracking",
    "template": "模板 template", "reference": "文号 reference", "recorded": "录音 recorded", "action": "进程 action",
    "kind": "类型 kind", "court": "法院 court", "case_no": "案号 case no.", "guarantor": "保证人 guarantor",
    "status": "状态 status", "claims_deadline": "债权申报截止 claims deadline", "administrator": "管理人 administrator",
    "claim_filed": "已申报 claim filed", "next_date": "下次跟进 next date", "next_action": "下一步 next action",
    "evidence": "证据 evidence",
}


# ---------------------------------------------------------------------------------------------
# what a bundle is made of


@dataclass
class Sources:
    """Everything the bundle of one debtor is made of, read from the ledger by `read_sources`."""

    debtor_id: str
    debtor: Debtor
    text: str
    letters: dict[str, bytes] = field(default_factory=dict)  # path inside letters/<id>/ -> bytes
    evidence: dict[str, bytes | None] = field(default_factory=dict)  # ledger path -> bytes (None: missing)
    # folder -> why none of it was read: `letters/<id>/` or `evidence/<id>/` leading out of the ledger
    refused: dict[str, str] = field(default_factory=dict)
    history: list[HistoryEntry] = field(default_factory=list)
    history_note: str | None = None


@dataclass
class BundleFile:
    path: str  # inside the debtor's folder
    data: bytes


@dataclass
class Withheld:
    path: str
    reason: str


@dataclass
class DebtorBundle:
    debtor_id: str
    name: str
    open_by_currency: dict[str, Any]
    files: list[BundleFile]
    withheld: list[Withheld]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------
# the case file in Markdown


def _when(at: date | datetime, settings: Settings) -> str:
    if isinstance(at, datetime):
        local = at.astimezone(settings.zone) if at.tzinfo is not None else at
        return f"{local:%Y-%m-%d %H:%M}"
    return at.isoformat()


def _who(key: str | None, settings: Settings) -> str:
    if not key:
        return ""
    display = settings.collectors.get(key)
    return f"{display} ({key})" if display and display != key else key


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return ", ".join(f"{k} {_plain(v)}" for k, v in value.items())
    return " ".join(str(value).split())


def _escape(text: str) -> str:
    """Ledger text inside Markdown. Raw HTML is off in the renderer, so only line breaks matter; nothing
    else is escaped, so that a backslash never splits a value the redactor must recognise."""
    return " ".join(text.split())


def _evidence_line(path: str, recorded: str | None, evidence: Mapping[str, bytes | None],
                   refused: Mapping[str, str]) -> str:
    data = evidence.get(path)
    folder = next((f for f in refused if path.startswith(f)), None)
    if folder is not None:
        return f"`{path}`: 未读取 not read: {folder} {refused[folder]}"
    if data is None:
        return f"`{path}`: 文件缺失 file missing" + (f" (recorded sha256 {recorded})" if recorded else "")
    actual = sha256(data)
    if recorded is None:
        check = "no sha256 recorded"
    elif recorded.lower() == actual:
        check = "matches the recorded sha256"
    else:
        check = f"DIFFERS from the recorded sha256 {recorded}: the file was changed"
    return f"`{path}` sha256 `{actual}` ({check})"


def chronology(src: Sources, settings: Settings, as_of: date, state: DebtorState) -> list[str]:
    """Every event up to `as_of`, in order, as Markdown blocks."""
    zone = settings.zone
    promises = {p.event_index: p for p in promise_states(src.debtor, settings, as_of, state)}
    lines: list[str] = []
    number = 0
    for index, event in enumerate(src.debtor.events):
        if event_day(event.at, zone) > as_of:
            continue
        number += 1
        head = f"**{number}. {_when(event.at, settings)}** · {TYPE_LABELS.get(event.type, event.type)}"
        if event.by:
            head += f" · 经办 by {_escape(_who(event.by, settings))}"
        lines.append(head)
        lines.append("")
        dumped = event.model_dump(mode="python", by_alias=True, exclude_none=True, exclude_defaults=True)
        data = {k: dumped[k] for k in KEY_ORDER if k in dumped} | dumped
        for key in ("at", "type", "by"):
            data.pop(key, None)
        for key, value in data.items():
            label = FIELD_LABELS.get(key, key)
            if key == "evidence":
                for item in value:
                    shown = _evidence_line(item["path"], item.get("sha256"), src.evidence, src.refused)
                    lines.append(f"- {label}: {shown}")
                continue
            if key == "installments":
                shown = "; ".join(f"{i['due']} {money_display(i['amount'], state.currency)}" for i in value)
            elif key == "promise":
                shown = f"{value['date']} {money_display(value['amount'], value.get('currency') or state.currency)}"
                promise = promises.get(index)
                if promise is not None:
                    shown += f" — {promise.status}" + (f" {promise.kept_on}" if promise.kept_on else "")
            elif key == "amount":
                shown = money_display(value, data.get("currency") or state.currency)
            else:
                shown = _plain(value)
            lines.append(f"- {label}: {_escape(shown)}")
        lines.append("")
    if number == 0:
        lines.append("(no events)")
        lines.append("")
    return lines


def _facts_table(debtor: Debtor, settings: Settings) -> str:
    rows = []
    for key, label in (("name", "名称 name"), ("name_en", "英文名 name (en)"),
                       ("credit_code", "统一社会信用代码 credit code"),
                       ("industry", "行业 industry"), ("region", "地区 region"), ("address", "地址 address"),
                       ("jurisdiction", "法域 jurisdiction"), ("currency", "币种 currency"),
                       ("terms_days", "账期 terms (days)")):
        value = getattr(debtor, key)
        if value is not None:
            rows.append({"field": label, "value": str(value)})
    if debtor.collector:
        rows.append({"field": "催收员 collector", "value": _who(debtor.collector, settings)})
    if debtor.credit_limit is not None:
        rows.append({"field": "信用额度 credit limit",
                     "value": money_display(debtor.credit_limit, debtor.currency or settings.currency)})
    return markdown(rows, [Column("field", "项目 field"), Column("value", "内容 value")])


def debtor_markdown(src: Sources, settings: Settings, as_of: date, *, redacted: bool,
                    letters: Sequence[tuple[str, str, str]], withheld: Sequence[Withheld]) -> str:
    """The case file of one debtor. `letters`: (path in bundle, sha256, note) of each letter file."""
    debtor = src.debtor
    state = debtor_state(debtor, settings, as_of)
    out = [f"# 催收案卷 Collection file: {debtor.name} ({src.debtor_id})", "",
           f"- 债权人 Creditor: {settings.creditor.name}",
           f"- 截至 As of: {as_of.isoformat()}",
           f"- 来源 Source: debtors/{src.debtor_id}.yaml (a copy is debtor.yaml in this folder)"]
    if redacted:
        out.append("- 已脱敏 Redacted: phone and mobile numbers, email addresses, ID numbers, WeChat ids and "
                   "contacts' addresses are masked; names, amounts and document numbers are kept.")
    out += [f"- 警告 Warning: {folder} {reason}" for folder, reason in sorted(src.refused.items())]
    out += ["", "## 1. 债务人 Debtor", "", _facts_table(debtor, settings)]
    if debtor.contacts:
        columns = [Column(k, h) for k, h in (("name", "姓名 name"), ("role", "职务 role"), ("decision_maker", "决策人"),
                                             ("phone", "电话 phone"), ("mobile", "手机 mobile"),
                                             ("wechat", "WeChat 微信"), ("email", "邮箱 email"),
                                             ("address", "地址 address"))]
        rows = [c.model_dump() for c in debtor.contacts]
        out += ["### 联系人 Contacts", "", markdown(rows, columns)]
    if debtor.guarantees:
        columns = [Column(k, h) for k, h in (("guarantor", "保证人 guarantor"), ("kind", "方式 kind"),
                                             ("period_months", "保证期间(月) months"), ("invoices", "发票 invoices"),
                                             ("signed", "签署 signed"), ("contact", "联系 contact"),
                                             ("address", "地址 address"))]
        rows = [g.model_dump() | {"invoices": ", ".join(g.invoices) if g.invoices else "all"}
                for g in debtor.guarantees]
        out += ["### 担保 Guarantees", "", markdown(rows, columns)]

    out += ["## 2. 应收款 Invoices", ""]
    invoice_rows = [{"id": s.id, "contract": s.invoice.contract, "issued": s.invoice.issued, "due": s.due,
                     "amount": money_display(s.amount, s.currency), "paid": money_display(s.paid, s.currency),
                     "credited": money_display(s.credited, s.currency), "open": money_display(s.open, s.currency),
                     "days": s.days_overdue(as_of) if s.open > 0 else None, "disputed": s.disputed}
                    for s in state.invoices]
    if invoice_rows:
        columns = [Column("id", "发票 invoice"), Column("contract", "合同 contract"), Column("issued", "开票 issued"),
                   Column("due", "到期 due"), Column("amount", "金额 amount", numeric=True),
                   Column("paid", "已付 paid", numeric=True), Column("credited", "冲减 credited", numeric=True),
                   Column("open", "未付 open", numeric=True), Column("days", "逾期天数 days overdue", numeric=True),
                   Column("disputed", "异议 disputed")]
        out.append(markdown(invoice_rows, columns))
        totals = ", ".join(money_display(v, c) for c, v in sorted(state.open_by_currency().items()))
        out.append(f"未付合计 Open in total: {totals or '0.00'}" + (
            "; 未分配款项 unapplied credit: " + ", ".join(money_display(v, c) for c, v in state.unapplied.items() if v)
            if any(state.unapplied.values()) else ""))
    else:
        out.append("(no invoices issued by this date)")
    out.append("")

    out += ["## 3. 期限 Deadlines", ""]
    out += _deadlines_section(src, settings, as_of, state)

    out += ["## 4. 时间线 Chronology", ""]
    out += chronology(src, settings, as_of, state)

    out += ["## 5. 函件 Letters", ""]
    if letters:
        out.append(markdown([{"path": p, "sha256": s, "note": n} for p, s, n in letters],
                            [Column("path", "文件 file"), Column("sha256", "sha256"), Column("note", "说明 note")]))
    else:
        out += [f"(no files in letters/{src.debtor_id}/)", ""]

    out += ["## 6. 证据清单 Evidence manifest", ""]
    manifest = []
    for path, data in sorted(src.evidence.items()):
        held = next((w.reason for w in withheld if w.path == path), None)
        manifest.append({"path": path, "sha256": sha256(data) if data is not None else "(missing)",
                         "bytes": len(data) if data is not None else None,
                         "included": "no: " + held if held else ("yes" if data is not None else "no: missing")})
    manifest += [{"path": folder, "sha256": "(not read)", "bytes": None, "included": f"no: {reason}"}
                 for folder, reason in sorted(src.refused.items())]
    if manifest:
        out.append(markdown(manifest, [Column("path", "文件 file"), Column("sha256", "sha256"),
                                       Column("bytes", "字节 bytes", numeric=True),
                                       Column("included", "附后 included")]))
    else:
        out += ["(no evidence files)", ""]

    out += ["## 7. 审计记录 Audit trail (git)", ""]
    out += _history_section(src, settings)
    return "\n".join(out).rstrip() + "\n"


def _deadlines_section(src: Sources, settings: Settings, as_of: date, state: DebtorState) -> list[str]:
    from dunning.deadlines import UnknownJurisdiction
    from dunning.deadlines import debtor_deadlines

    try:
        deadlines = debtor_deadlines(src.debtor_id, src.debtor, settings, as_of, state)
    except UnknownJurisdiction as problem:
        return [f"(no deadlines: {problem})", ""]
    if not deadlines:
        return ["(none)", ""]
    rows = [{"date": d.date.isoformat() if d.date else "(suspended)", "days_left": d.days_left, "kind": d.kind,
             "what": d.invoice or d.guarantor or "", "status": d.status + (" (provisional)" if d.provisional else ""),
             "rule": d.rule, "basis": "; ".join(d.basis)} for d in deadlines]
    columns = [Column("date", "日期 date"), Column("days_left", "剩余天数 days left", numeric=True),
               Column("kind", "类型 kind"), Column("what", "对象 invoice/guarantor"), Column("status", "状态 status"),
               Column("rule", "依据 rule"), Column("basis", "计算 basis")]
    return [markdown(rows, columns)]


def _history_section(src: Sources, settings: Settings) -> list[str]:
    if src.history_note:
        return [f"({src.history_note})", ""]
    if not src.history:
        return ["(no commits touch this debtor file)", ""]
    rows = []
    for entry in src.history:
        changes = []
        if entry.created:
            changes.append("created")
        if entry.renamed_from:
            changes.append(f"renamed from {entry.renamed_from}")
        if entry.events_added:
            changes.append(f"{len(entry.events_added)} event(s) added")
        if entry.events_removed:
            changes.append(f"{len(entry.events_removed)} event(s) REMOVED")
        for fact in entry.facts if not entry.created else []:
            changes.append(f"{fact.field}: {fact.old if fact.old is not None else '∅'} → "
                           f"{fact.new if fact.new is not None else '∅'}")
        rows.append({"when": entry.when, "author": f"{entry.author} <{entry.email}>", "commit": entry.commit[:12],
                     "message": entry.message, "changes": "; ".join(changes)})
    columns = [Column("when", "时间 when"), Column("author", "作者 author"), Column("commit", "提交 commit"),
               Column("message", "说明 message"), Column("changes", "变更 changes")]
    return [markdown(rows, columns)]


# ---------------------------------------------------------------------------------------------
# one debtor's folder


def _text_or_none(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def build_debtor_bundle(src: Sources, settings: Settings, as_of: date, *, redactor: Redactor | None = None,
                        fmt: str = "md", pdf: Callable[[str], bytes] | None = None) -> DebtorBundle:
    """The files of one debtor's folder; with a redactor every text is masked and the rest withheld."""
    files: list[BundleFile] = []
    withheld: list[Withheld] = []

    def masked(text: str) -> str:
        return redactor.text(text) if redactor is not None else text

    letters: list[tuple[str, str, str]] = []
    for name, data in sorted(src.letters.items()):
        target = f"letters/{name}"
        text = _text_or_none(data) if name.lower().endswith(TEXT_SUFFIXES) else None
        if redactor is not None and text is None:
            reason = ("withheld under --redact: its text cannot be masked (the .md/.html of the same letter is "
                      "included, masked)")
            withheld.append(Withheld(f"{LETTERS_DIR}/{src.debtor_id}/{name}", reason))
            letters.append((target, sha256(data), reason))
            continue
        content = masked(text).encode("utf-8") if redactor is not None and text is not None else data
        files.append(BundleFile(target, content))
        letters.append((target, sha256(content), "masked copy" if redactor is not None else "original"))

    for path, found in sorted(src.evidence.items()):
        if found is None:
            continue
        if redactor is not None:
            withheld.append(Withheld(path, "withheld under --redact (manifest only)"))
            continue
        inside = path.split("/", 2)[2] if path.count("/") >= 2 else Path(path).name
        files.append(BundleFile(f"evidence/{inside}", found))

    text = debtor_markdown(src, settings, as_of, redacted=redactor is not None, letters=letters, withheld=withheld)
    text = masked(text)
    if fmt in ("md", "both"):
        files.insert(0, BundleFile("bundle.md", text.encode("utf-8")))
    if fmt in ("pdf", "both"):
        if pdf is None:
            raise ValueError("a PDF renderer is needed for --format pdf")
        files.insert(0, BundleFile("bundle.pdf", pdf(markdown_to_html(text, f"{src.debtor.name} ({src.debtor_id})"))))
    files.append(BundleFile("debtor.yaml", masked(src.text).encode("utf-8")))
    listing = "".join(f"{sha256(f.data)}  {f.path}\n" for f in sorted(files, key=lambda f: f.path))
    files.append(BundleFile("MANIFEST.sha256", listing.encode("utf-8")))
    state = debtor_state(src.debtor, settings, as_of)
    return DebtorBundle(src.debtor_id, src.debtor.name, state.open_by_currency(), files, withheld)


def index_markdown(bundles: Sequence[DebtorBundle], settings: Settings, as_of: date, *, redacted: bool,
                   redactor: Redactor | None = None) -> str:
    rows = [{"id": b.debtor_id, "name": b.name,
             "open": ", ".join(money_display(v, c) for c, v in sorted(b.open_by_currency.items()) if v) or "0.00",
             "folder": f"{b.debtor_id}/", "withheld": len(b.withheld) or None} for b in bundles]
    out = [f"# 法务审阅材料 Bundle for legal review — {settings.creditor.name}", "",
           f"- 截至 As of: {as_of.isoformat()}", f"- 债务人 Debtors: {len(bundles)}"]
    if redacted:
        out.append("- 已脱敏 Redacted (see each bundle.md; withheld files are listed in its manifest)")
    out += ["", markdown(rows, [Column("id", "编号 id"), Column("name", "名称 name"), Column("open", "未付 open"),
                                Column("folder", "文件夹 folder"), Column("withheld", "未附 withheld", numeric=True)])]
    text = "\n".join(out)
    return redactor.text(text) if redactor is not None else text


def markdown_to_html(text: str, title: str) -> str:
    """The case file as one HTML page for the PDF: tables with borders, long cells wrapped."""
    from html import escape

    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table").render(text)
    style = ("@page{size:A4 landscape;margin:14mm}body{font-family:'Noto Sans CJK SC','Noto Sans SC',sans-serif;"
             "font-size:9pt;line-height:1.4}table{border-collapse:collapse;width:100%;margin:4pt 0}"
             "th,td{border:0.5pt solid #888;padding:2pt 4pt;vertical-align:top;word-break:break-all}"
             "th{background:#eee}h1{font-size:14pt}h2{font-size:12pt;margin-top:12pt}code{font-size:8pt}")
    return (f"<!DOCTYPE html><html lang=\"zh\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            f"<style>{style}</style></head><body>{body}</body></html>")


# ---------------------------------------------------------------------------------------------
# the disk: reading the sources, writing the bundle


def read_sources(root: Path, debtor_id: str, debtor: Debtor, *, history: bool = True) -> Sources:
    """The debtor file's text, letters/<id>/, evidence (its folder and every file an event names), git history."""
    from dunning import gitlog

    text = (root / "debtors" / f"{debtor_id}.yaml").read_text(encoding="utf-8")
    src = Sources(debtor_id, debtor, text)
    top = root.resolve()
    outside = "leads outside the ledger (a symbolic link): not read, nothing of it is in this bundle " \
              "(`dunning check` reports it)"
    letters = root / LETTERS_DIR / debtor_id
    if letters.is_dir() and not letters.resolve().is_relative_to(top):
        src.refused[f"{LETTERS_DIR}/{debtor_id}/"] = outside
    elif letters.is_dir():
        for path in sorted(p for p in letters.rglob("*") if p.is_file() and not p.is_symlink()
                           and p.resolve().is_relative_to(top)):
            src.letters[path.relative_to(letters).as_posix()] = path.read_bytes()
    folder = (root / EVIDENCE_DIR / debtor_id).resolve()
    wanted: set[str] = set()
    if not folder.is_relative_to(top):
        src.refused[f"{EVIDENCE_DIR}/{debtor_id}/"] = outside
    else:
        if folder.is_dir():
            wanted.update(p.relative_to(top).as_posix() for p in folder.rglob("*")
                          if p.is_file() and not p.is_symlink() and p.resolve().is_relative_to(top))
        for event in debtor.events:
            wanted.update(item.path for item in event.evidence)
    for relpath in sorted(wanted):
        target = (root / relpath).resolve()
        if not target.is_relative_to(folder):
            continue  # `dunning check` reports evidence outside evidence/<id>/; never read it into a bundle
        src.evidence[relpath] = target.read_bytes() if target.is_file() else None
    if history:
        try:
            src.history = gitlog.debtor_history(root, debtor_id)
        except gitlog.GitError as problem:
            src.history_note = str(problem)
    else:
        src.history_note = "the audit trail was not asked for"
    return src


def history_values(history: Sequence[HistoryEntry]) -> list[tuple[str, str]]:
    """Contact data found in older versions of a file (a changed mobile number), to mask them too."""
    kinds = {"mobile": "mobile", "phone": "phone", "email": "email", "wechat": "wechat", "address": "address"}
    found = []
    for entry in history:
        for fact in entry.facts:
            last = fact.field.rsplit(".", 1)[-1]
            if fact.field.startswith(("contacts", "guarantees")) and last in kinds:
                for value in (fact.old, fact.new):
                    if value:
                        found.append((value, kinds[last]))
    return found


def bundle_files(bundles: Sequence[DebtorBundle], index: str) -> dict[str, bytes]:
    """Every file of the export by its path in the folder or zip."""
    files = {"index.md": index.encode("utf-8")}
    for bundle in bundles:
        for item in bundle.files:
            files[f"{bundle.debtor_id}/{item.path}"] = item.data
    return files


def write_bundle(files: Mapping[str, bytes], target: Path) -> None:
    """A new folder, or a .zip written atomically; an existing target is refused (never overwritten)."""
    from dunning.ledger import atomic_write

    if target.suffix.lower() == ".zip":
        if target.exists():
            raise FileExistsError(f"{target} exists already")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path, data in sorted(files.items()):
                archive.writestr(zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0)), data,
                                 compress_type=zipfile.ZIP_DEFLATED)
        atomic_write(target, buffer.getvalue())
        return
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(f"{target} exists already and is not an empty folder")
    for path, data in sorted(files.items()):
        out = target / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
