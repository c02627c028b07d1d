"""Fixtures of the foundation tests (ledger, check, cache, init): ledgers written inline into tmp_path."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

SAMPLE_LEDGER = Path(__file__).resolve().parent.parent / "ledger"

# Two collectors, everything else at its default (contact_hours 08:00-21:00, Asia/Shanghai).
SETTINGS = """\
format: 1
creditor: {name: 辽宁测试贸易有限公司}
collectors: {zhang.san: 张三, li.si: 李四}
"""


@pytest.fixture
def write_ledger(tmp_path: Path) -> Callable[..., Path]:
    """`write_ledger({"acme": "name: ..."}, settings=...)`: a ledger in tmp_path/ar; bytes are written as they are.

    Without `settings`, dunning.yaml has two collectors (zhang.san, li.si) and every default.
    """

    def write(debtors: dict[str, str | bytes] | None = None, settings: str | bytes = SETTINGS,
              folder: str = "ar") -> Path:
        root = tmp_path / folder
        (root / "debtors").mkdir(parents=True)
        files = {"dunning.yaml": settings, **{f"debtors/{k}.yaml": v for k, v in (debtors or {}).items()}}
        for name, content in files.items():
            (root / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return root

    return write


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A copy of the sample ledger `ledger/` without its cache: tests never write into `ledger/` itself."""
    root = tmp_path / "sample"
    shutil.copytree(SAMPLE_LEDGER, root, ignore=shutil.ignore_patterns(".dunning"))
    return root
