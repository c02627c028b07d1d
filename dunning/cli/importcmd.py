"""`dunning import FILE`: invoices and payments from an accounting system's CSV or XLSX export, one commit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from typing import Annotated
from typing import Any

import typer
from typer.core import TyperCommand

from dunning.cli.base import EXIT_LEDGER
from dunning.cli.base import EXIT_USAGE
from dunning.cli.base import FormatOption
from dunning.cli.base import LedgerOption
from dunning.cli.base import app
from dunning.cli.base import fail
from dunning.cli.base import open_ledger
from dunning.cli.base import open_settings
from dunning.cli.base import output_format

if TYPE_CHECKING:
    from dunning.importer import ImportPlan

MAP_HELP = "COLUMN=FIELD for a column whose name is not recognised (repeatable)"


class _ImportCommand(TyperCommand):
    """Lists the mappable fields in `--map`'s help only when help is shown: they come from
    dunning.importer, which loads the model and git modules that `dunning --help` need not pay for."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from dunning.importer import FIELD_HELP

        for param in self.params:
            if param.name == "map_" and isinstance(param, typer.core.TyperOption):
                param.help = f"{MAP_HELP}; fields: {', '.join(f'{k} ({v})' for k, v in FIELD_HELP.items())}."
        super().format_help(ctx, formatter)


def _write(root: Path, plan: ImportPlan) -> list[Path]:
    """Every file of the plan, each atomically, refusing if one changed since it was read."""
    from dunning.ledger import atomic_write

    written = []
    for change in plan.changes:
        path = root / change.relpath
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != change.before:
            fail(f"{change.relpath} changed while the import was being prepared; nothing more written: run "
                 "the import again (it skips what is already in)", EXIT_LEDGER)
        atomic_write(path, change.after.encode("utf-8"))
        written.append(path)
    return written


@app.command("import", cls=_ImportCommand)
def import_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A .csv or .xlsx export of invoices and/or payments.")],
    map_: Annotated[list[str] | None, typer.Option("--map", help=MAP_HELP + ".")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", "-n", help="Show what would change; write nothing.")] = False,
    sheet: Annotated[str | None, typer.Option("--sheet", help="XLSX: the worksheet (default: the first).")] = None,
    encoding: Annotated[str | None, typer.Option(
        "--encoding", help="CSV: utf-8 or gbk (default: UTF-8 with or without BOM, else GBK).")] = None,
    no_commit: Annotated[bool, typer.Option("--no-commit", help="Write the files but make no git commit.")] = False,
    fmt: FormatOption = None,
    ledger: LedgerOption = None,
) -> None:
    """Import invoices and payments from a CSV or XLSX export.

    From an accounting system (用友, 金蝶, any other). Columns are recognised by their Chinese or
    English names (客户名称, 客户编码, 发票号, 开票日期, 到期日, 价税合计, 币种, 统一社会信用代码,
    业务员; 收款日期, 收款金额, 对应发票 for payments; a 类型 column with 发票/收款 for mixed
    files); --map names any other. Debtors are created as needed. Importing the same file again
    changes nothing: invoices are matched by id, payments by ref, date and amount; an invoice whose
    amount or dates differ from the ledger is reported as a conflict and never overwritten. A bad
    cell stops the import with its row and column; nothing is written. One git commit for the
    whole import. Exit 0; 1 when some rows are in conflict (the rest is imported); 2 for bad input.

    \b
    Example: dunning import 应收明细.xlsx --map 往来单位=debtor --dry-run
    """
    from dunning.importer import ImportInputError
    from dunning.importer import parse_mapping
    from dunning.importer import plan_import
    from dunning.importer import read_records
    from dunning.importer import read_table
    from dunning.render import Column
    from dunning.render import dump_json
    from dunning.render import render

    chosen = output_format(fmt, None)
    try:
        data = file.read_bytes()
    except OSError as error:
        fail(f"{file}: cannot read: {error.strerror}")
    from dunning.writer import ledger_lock

    root, settings = open_settings(ledger)
    try:
        table = read_table(data, file.name, sheet=sheet, encoding=encoding)
        records = read_records(table, parse_mapping(map_ or []), settings)
    except ImportInputError as problem:
        for message in problem.messages:
            typer.echo(f"dunning: error: {message}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if records.ignored_columns:
        typer.echo(f"note: columns not imported: {', '.join(records.ignored_columns)}", err=True)
    commit = None
    with ledger_lock(root):
        current = open_ledger(root)  # again under the lock: another writer may have finished meanwhile
        try:
            plan = plan_import(records, current.debtors, settings,
                               lambda debtor_id: current.path_of(debtor_id).read_text(encoding="utf-8"))
        except ImportInputError as problem:
            for message in problem.messages:
                typer.echo(f"dunning: error: {message}", err=True)
            raise typer.Exit(EXIT_USAGE) from None
        if not dry_run and plan.changes:
            written = _write(root, plan)
            if not no_commit:
                from dunning import gitlog

                try:
                    commit = gitlog.commit_paths(root, written, plan.commit_message())
                except gitlog.GitError as problem:
                    typer.echo(f"note: the import is written but not committed: git says: {problem}", err=True)
                if commit is None and gitlog.repository_top(root) is None:
                    typer.echo("note: the ledger is not in a git repository: written but not committed", err=True)
    if chosen == "json":
        document = plan.as_json() | {"dry_run": dry_run, "commit": commit}
        typer.echo(dump_json(document), nl=False)
    else:
        rows = [o.as_json() for o in plan.outcomes]
        if rows:
            columns = [Column("line", "line", numeric=True), Column("action", "action"), Column("kind", "kind"),
                       Column("debtor", "debtor"), Column("what", "what"), Column("detail", "detail")]
            typer.echo(render(rows, columns, chosen), nl=False)
        counts = plan.counts()
        summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing in the file"
        verb = "would change" if dry_run else "changed"
        tail = f"; {verb} {len(plan.changes)} file(s)" + (f"; commit {commit[:10]}" if commit else "")
        typer.echo(("dry run: " if dry_run else "") + summary + tail, err=chosen != "table")
    if plan.conflicts:
        raise typer.Exit(EXIT_LEDGER)
