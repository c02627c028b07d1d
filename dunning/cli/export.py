"""`dunning export`: a bundle for legal review (case file, sources, hashes, audit trail), optionally redacted."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dunning.cli.base import AsOfOption
from dunning.cli.base import LedgerOption
from dunning.cli.base import app
from dunning.cli.base import as_of_date
from dunning.cli.base import fail
from dunning.cli.base import ledger_root
from dunning.cli.base import open_debtor
from dunning.cli.base import open_ledger
from dunning.cli.base import open_settings
from dunning.cli.base import require_rules


@app.command()
def export(
    debtor_id: Annotated[str | None, typer.Argument(metavar="ID", help="The debtor to export (or --all).")] = None,
    everyone: Annotated[bool, typer.Option("--all", help="Export every debtor of the ledger.")] = False,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="A new folder, or FILE.zip (default: ./export-ID-DATE).")] = None,
    redact: Annotated[bool, typer.Option(
        "--redact", help="Mask phone numbers, emails, ID numbers, WeChat ids and contacts' addresses; "
        "withhold evidence and letter PDFs (manifest only).")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md, pdf or both.")] = "md",
    no_history: Annotated[bool, typer.Option("--no-history", help="Leave out the git audit trail.")] = False,
    as_of: AsOfOption = None,
    ledger: LedgerOption = None,
) -> None:
    """A bundle for legal review, optionally redacted.

    Per debtor a case file (bundle.md / bundle.pdf) with the facts, invoices, deadlines with their
    basis, the chronology of every event, the letters, evidence with sha256 and the git audit trail;
    plus the debtor file, letters, evidence and a MANIFEST.sha256.

    --redact masks personal data everywhere (names, amounts and document numbers are kept) and
    includes evidence only as its manifest. The target must not exist yet.

    \b
    Example: dunning export shenyang-heavy --redact -o shenyang-heavy.zip
    """
    from dunning import export as bundle
    from dunning.redact import redactor_for

    if fmt not in bundle.BUNDLE_FORMATS:
        fail(f"--format: use md, pdf or both, not '{fmt}'")
    if (debtor_id is None) == (not everyone):
        fail("give a debtor ID or --all (not both)")
    root = ledger_root(ledger)
    if everyone:
        full = open_ledger(root)
        settings, debtors = full.settings, full.debtors
    else:
        assert debtor_id is not None
        root, settings = open_settings(root)
        debtors = {debtor_id: open_debtor(root, debtor_id)}
    for key, debtor in debtors.items():
        require_rules(root, key, debtor, settings)
    day = as_of_date(as_of, settings)
    target = output or Path(f"export-{debtor_id or 'all'}-{day.isoformat()}")
    if target.exists() and (target.suffix.lower() == ".zip" or not target.is_dir() or any(target.iterdir())):
        fail(f"{target} exists already: choose a new folder or .zip with -o")

    pdf = None
    if fmt in ("pdf", "both"):
        from dunning.pdf import PdfUnavailable
        from dunning.pdf import html_to_pdf

        pdf = html_to_pdf
    sources = [bundle.read_sources(root, key, debtor, history=not no_history) for key, debtor in debtors.items()]
    redactor = None
    if redact:
        extra = [value for src in sources for value in bundle.history_values(src.history)]
        redactor = redactor_for(settings, debtors.values(), extra=extra)
    try:
        made = [bundle.build_debtor_bundle(src, settings, day, redactor=redactor, fmt=fmt, pdf=pdf) for src in sources]
    except Exception as problem:
        if pdf is not None and isinstance(problem, PdfUnavailable):
            fail(f"cannot write a PDF: {problem.message} (or export with --format md)")
        raise
    index = bundle.index_markdown(made, settings, day, redacted=redact, redactor=redactor)
    try:
        bundle.write_bundle(bundle.bundle_files(made, index), target)
    except FileExistsError as problem:
        fail(str(problem))
    except OSError as error:
        fail(f"{target}: cannot write: {error.strerror}")
    withheld = sum(len(b.withheld) for b in made)
    typer.echo(f"exported {len(made)} debtor(s) to {target}" + (" (redacted" + (
        f"; {withheld} file(s) withheld, listed in the manifests)" if withheld else ")") if redact else ""))
