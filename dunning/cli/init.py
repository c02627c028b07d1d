"""`dunning init` (a new ledger) and `dunning new` (a new debtor file)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Annotated
from typing import Any

import typer

from dunning.cli.base import LedgerOption
from dunning.cli.base import app
from dunning.cli.base import fail
from dunning.cli.base import open_settings
from dunning.cli.base import option_amount
from dunning.cli.base import option_jurisdiction


def _dump(document: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, default_flow_style=False, width=100)


def _version_control(root: Path) -> None:
    """`git init` where the ledger is in no repository, then the merge driver and the hook; says what it did."""
    from dunning import gitlog

    if gitlog.repository_top(root) is None:
        try:
            made = subprocess.run(["git", "init", "-q", str(root)], capture_output=True, text=True, check=False)
        except OSError as error:
            typer.echo(f"dunning: note: cannot run git ({error.strerror}): the ledger is not under version "
                       "control; writes will not be committed", err=True)
            return
        if made.returncode != 0:
            typer.echo(f"dunning: note: git init failed: {made.stderr.strip()}; writes will not be committed",
                       err=True)
            return
    try:
        notes = gitlog.setup_repository(root)
    except gitlog.GitError as problem:
        typer.echo(f"dunning: note: the merge driver and pre-commit hook are not set up: git says: {problem} "
                   "(fix it, then run `dunning hooks install`)", err=True)
        return
    for note in notes:
        typer.echo(note)


def _key_value(items: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            fail(f"{option}: expected KEY=NAME, got '{item}'")
        pairs[key.strip()] = value.strip()
    return pairs


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder of the new ledger (created if missing).")] = Path(),
    creditor: Annotated[str, typer.Option("--creditor", help="Your company's name, printed on letters.")] = "",
    creditor_en: Annotated[str | None, typer.Option("--creditor-en", help="English name.")] = None,
    department: Annotated[str, typer.Option(help="Department signing letters.")] = "财务部",
    address: Annotated[str | None, typer.Option(help="Postal address.")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone number for debtors to call back.")] = None,
    email: Annotated[str | None, typer.Option(help="Accounts receivable email.")] = None,
    bank: Annotated[str | None, typer.Option(help="Bank name for payments.")] = None,
    account: Annotated[str | None, typer.Option(help="Bank account number.")] = None,
    currency: Annotated[str, typer.Option(help="Default currency (ISO 4217).")] = "CNY",
    jurisdiction: Annotated[str, typer.Option(help="Default limitation rules: CN, DE, EW, FR, US-NY...")] = "CN",
    language: Annotated[str, typer.Option(help="Default letter language: zh or en.")] = "zh",
    timezone: Annotated[str, typer.Option(help="Time zone for 'today' and times.")] = "Asia/Shanghai",
    collector: Annotated[list[str] | None, typer.Option(
        "--collector", help="A collector as KEY=NAME, e.g. zhang.san=张三 (repeatable).")] = None,
    no_commit: Annotated[bool, typer.Option("--no-commit", help="Do not make a git commit.")] = False,
) -> None:
    """Create a new ledger.

    Writes dunning.yaml, debtors/ and the cache's ignore rule, sets up git and its hooks, and commits
    the new files (--no-commit: not). Refuses a folder that already holds a ledger. When the folder is
    not inside a git repository, `git init` makes one, so that every write is recorded.

    \b
    Example: dunning init ar --creditor 辽宁示例贸易有限公司 --collector zhang.san=张三
    """
    from dunning.ledger import CACHE_DIR
    from dunning.ledger import DEBTORS_DIR
    from dunning.ledger import SETTINGS_FILE
    from dunning.ledger import LedgerErrors
    from dunning.ledger import atomic_write
    from dunning.ledger import parse_settings

    if not creditor.strip():
        fail("--creditor is required: the company name printed on every letter")
    option_jurisdiction(jurisdiction)
    root = directory.resolve()
    if (root / SETTINGS_FILE).exists():
        fail(f"{root / SETTINGS_FILE} exists already: this folder holds a ledger")
    creditor_doc: dict[str, Any] = {"name": creditor.strip()}
    for key, value in (("name_en", creditor_en), ("department", department), ("address", address),
                       ("phone", phone), ("email", email)):
        if value:
            creditor_doc[key] = value
    if bank or account:
        if not (bank and account):
            fail("--bank and --account go together")
        creditor_doc["bank"] = {"name": bank, "account": account}
    settings_doc: dict[str, Any] = {
        "format": 1, "creditor": creditor_doc, "currency": currency, "jurisdiction": jurisdiction,
        "language": language, "timezone": timezone, "buckets": {"A": 30, "B": 60, "C": None},
        "call_window": "09:00-11:00", "contact_hours": "08:00-21:00", "warn_days": 90,
        "collectors": _key_value(collector or [], "--collector"),
    }
    text = "# dunning ledger settings: see `dunning --help` and the README\n" + _dump(settings_doc)
    try:
        parse_settings(text.encode(), SETTINGS_FILE)
    except LedgerErrors as errors:
        for error in errors.errors:
            typer.echo(f"dunning: error: {error.message}", err=True)
        raise typer.Exit(2) from None
    try:
        (root / DEBTORS_DIR).mkdir(parents=True, exist_ok=True)
        atomic_write(root / SETTINGS_FILE, text.encode())
        (root / DEBTORS_DIR / ".gitkeep").touch()
        ignore = root / ".gitignore"
        rule = f"{CACHE_DIR}/\n"
        existing = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
        if rule.strip() not in existing.splitlines():
            atomic_write(ignore, (existing + ("" if existing.endswith("\n") or not existing else "\n")
                                  + rule).encode())
    except OSError as error:
        fail(f"{root}: cannot create the ledger: {error.strerror}")
    _version_control(root)
    if not no_commit:
        _commit_new_ledger(root, creditor.strip())
    typer.echo(f"created ledger {root}")


def _commit_new_ledger(root: Path, creditor: str) -> None:
    """Like every command that writes, `init` commits what it wrote (one commit)."""
    from dunning import gitlog
    from dunning.ledger import DEBTORS_DIR
    from dunning.ledger import SETTINGS_FILE

    paths = [root / SETTINGS_FILE, root / DEBTORS_DIR / ".gitkeep", root / ".gitignore"]
    paths += [p for p in (root / ".gitattributes",) if p.exists()]
    try:
        commit = gitlog.commit_paths(root, paths, f"init: ledger of {creditor}")
    except gitlog.GitError as problem:
        typer.echo(f"dunning: note: the ledger is written but not committed: git says: {problem}", err=True)
        return
    if commit:
        typer.echo(f"committed [{commit[:10]}]")


@app.command()
def new(
    debtor_id: Annotated[str, typer.Argument(metavar="ID", help="File name slug, e.g. shenyang-heavy.")],
    name: Annotated[str, typer.Option("--name", help="The debtor's registered name.")] = "",
    credit_code: Annotated[str | None, typer.Option(help="18-character unified social credit code.")] = None,
    industry: Annotated[str | None, typer.Option(help="Industry, e.g. 机械制造.")] = None,
    region: Annotated[str | None, typer.Option(help="Region, e.g. 辽宁/沈阳.")] = None,
    collector: Annotated[str | None, typer.Option(help="Collector key from dunning.yaml.")] = None,
    jurisdiction: Annotated[str | None, typer.Option(help="Override the ledger's limitation rules.")] = None,
    timezone: Annotated[str | None, typer.Option(help="The debtor's time zone when abroad, e.g. Europe/Berlin: "
                                                 "calls go in its own hours.")] = None,
    currency: Annotated[str | None, typer.Option(help="The debtor's usual currency.")] = None,
    terms_days: Annotated[int | None, typer.Option(help="Payment terms in days.")] = None,
    credit_limit: Annotated[str | None, typer.Option(help="Credit limit, e.g. 500000.")] = None,
    contact: Annotated[str | None, typer.Option(help="Main contact's name (the decision maker).")] = None,
    role: Annotated[str | None, typer.Option(help="The contact's role, e.g. 财务总监.")] = None,
    mobile: Annotated[str | None, typer.Option(help="The contact's mobile number.")] = None,
    phone: Annotated[str | None, typer.Option(help="The contact's phone number.")] = None,
    email: Annotated[str | None, typer.Option(help="The contact's email.")] = None,
    no_commit: Annotated[bool, typer.Option("--no-commit", help="Do not make a git commit.")] = False,
    ledger: LedgerOption = None,
) -> None:
    """Create a debtor file debtors/ID.yaml.

    Refuses an existing id or one that is not a slug (lower-case letters, digits and '-').

    \b
    Example: dunning new shenyang-heavy --name 沈阳重工机械有限公司 --collector zhang.san --terms-days 30
    """
    from dunning.ledger import DEBTORS_DIR
    from dunning.ledger import LedgerErrors
    from dunning.ledger import atomic_write
    from dunning.ledger import debtor_path
    from dunning.ledger import parse_debtor

    root, settings = open_settings(ledger)
    try:
        path = debtor_path(root, debtor_id)
    except LedgerErrors as errors:
        fail(errors.errors[0].message)
    if not name.strip():
        fail("--name is required: the debtor's registered name")
    option_jurisdiction(jurisdiction)
    if timezone is not None:
        from dunning.model import zone_name

        try:
            zone_name(timezone)
        except ValueError as problem:
            fail(f"--timezone: {problem}")
    if path.exists():
        fail(f"debtor '{debtor_id}' exists already ({DEBTORS_DIR}/{debtor_id}.yaml)")
    if collector is not None and collector not in settings.collectors:
        fail(f"--collector: unknown collector '{collector}' (dunning.yaml collectors: "
             f"{', '.join(settings.collectors) or 'none'})")
    if credit_code is not None:
        from dunning.model import validate_credit_code

        try:
            credit_code = validate_credit_code(credit_code)
        except ValueError as problem:
            fail(f"--credit-code: {problem}")
    document: dict[str, Any] = {"name": name.strip()}
    for key, value in (("credit_code", credit_code), ("industry", industry), ("region", region),
                       ("collector", collector), ("jurisdiction", jurisdiction), ("timezone", timezone),
                       ("currency", currency), ("terms_days", terms_days)):
        if value is not None:
            document[key] = value
    if credit_limit is not None:
        document["credit_limit"] = str(option_amount(credit_limit, "--credit-limit"))
    if contact:
        person: dict[str, Any] = {"name": contact, "decision_maker": True}
        for key, value in (("role", role), ("mobile", mobile), ("phone", phone), ("email", email)):
            if value:
                person[key] = value
        document["contacts"] = [person]
    document.setdefault("terms_days", 30)
    document["invoices"] = []
    text = _dump(document) + "events: []\n"
    relpath = f"{DEBTORS_DIR}/{debtor_id}.yaml"
    try:
        parse_debtor(text, relpath)
    except LedgerErrors as errors:
        for error in errors.errors:
            typer.echo(f"dunning: error: {error.message}", err=True)
        raise typer.Exit(2) from None
    try:
        atomic_write(path, text.encode())
    except OSError as error:
        fail(f"{relpath}: cannot write: {error.strerror}")
    commit = None
    if not no_commit:
        from dunning import gitlog

        try:
            commit = gitlog.commit_paths(root, [path], f"new({debtor_id}): {name.strip()}")
        except gitlog.GitError as problem:
            typer.echo(f"dunning: note: {relpath} is written but not committed: git says: {problem}", err=True)
        else:
            if commit is None and gitlog.repository_top(root) is None:
                typer.echo("dunning: note: the ledger is not in a git repository: written but not committed",
                           err=True)
    typer.echo(f"created {relpath}" + (f" [{commit[:10]}]" if commit else ""))
