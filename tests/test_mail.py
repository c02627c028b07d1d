"""Email drafts (.eml) read back with their headers and the PDF; sending to a local SMTP server."""

from __future__ import annotations

import email
import socket
import subprocess
from collections.abc import Iterator
from datetime import datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

import dunning.pdf
from dunning.cli.app import app
from dunning.ledger import load_debtor
from dunning.mail import MailError
from dunning.mail import as_bytes
from dunning.mail import draft
from dunning.mail import send
from dunning.model import Smtp

SETTINGS = """\
format: 1
creditor:
  name: 辽宁测试贸易有限公司
  email: ar@test.example.cn
collectors: {zhang.san: 张三}
"""

DEBTOR = """\
name: 沈阳重工机械有限公司
collector: zhang.san
contacts:
  - {name: 刘敏, role: 出纳, email: liu@example.cn}
  - {name: 王建国, role: 财务总监, decision_maker: true, email: wang@example.cn}
invoices:
  - {id: INV-1, contract: HT-2025-007, issued: 2026-01-01, due: 2026-01-31, amount: 120000.00}
events: []
"""

NO_EMAIL = """\
name: 本溪泰和五金有限公司
contacts:
  - {name: 赵强, mobile: "13900000000"}
invoices:
  - {id: INV-7, issued: 2026-01-01, due: 2026-01-31, amount: 800.00}
events: []
"""


def parse(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    """The plain-text body; the file keeps the CRLF line ends of the wire format (RFC 5322)."""
    part = message.get_body(("plain",))
    assert part is not None
    content: str = part.get_content()
    return content.replace("\r\n", "\n")


def test_draft_reads_back_with_its_headers_and_attachment() -> None:
    when = datetime(2026, 3, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    message = draft(sender="ar@test.example.cn", sender_name="辽宁测试贸易有限公司", recipient="wang@example.cn",
                    recipient_name="王建国", subject="催款函（编号：x-20260315-demand）", text="王建国：\n\n您好！",
                    attachment=b"%PDF-1.7 test", filename="x-20260315-demand.pdf", when=when)
    back = parse(as_bytes(message))
    assert back["Subject"] == "催款函（编号：x-20260315-demand）"
    assert back["From"] == "辽宁测试贸易有限公司 <ar@test.example.cn>"
    assert back["To"] == "王建国 <wang@example.cn>"
    assert back["Disposition-Notification-To"] == "辽宁测试贸易有限公司 <ar@test.example.cn>"
    assert back["X-Unsent"] == "1"
    assert back["Date"] == "Sun, 15 Mar 2026 10:00:00 +0800"
    assert text_of(back) == "王建国：\n\n您好！\n"
    [attachment] = list(back.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "x-20260315-demand.pdf"
    assert attachment.get_content() == b"%PDF-1.7 test"
    assert b"=?utf-8?" in as_bytes(message).split(b"\n\n")[0]  # the subject is encoded for 7-bit transport


def test_draft_refuses_an_address_that_is_not_one() -> None:
    with pytest.raises(MailError, match="the recipient address 'wang' is not an email address"):
        draft(sender="ar@test.example.cn", sender_name="x", recipient="wang", recipient_name=None, subject="s",
              text="t", attachment=b"", filename="a.pdf", when=datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")))


# ---------------------------------------------------------------------------------------------
# the command, and a real SMTP conversation on 127.0.0.1


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def fast_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests of the SMTP conversation do not need a real PDF (test_eml_draft... checks that one)."""
    monkeypatch.setattr(dunning.pdf, "html_to_pdf", lambda html, base_url=None: b"%PDF-1.7 stand-in")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "ar"
    (root / "debtors").mkdir(parents=True)
    (root / "dunning.yaml").write_text(SETTINGS, encoding="utf-8")
    (root / "debtors" / "shenyang-heavy.yaml").write_text(DEBTOR, encoding="utf-8")
    (root / "debtors" / "benxi-taihe.yaml").write_text(NO_EMAIL, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["letter", *args, "--ledger", str(root)], env={"DUNNING_COLLECTOR": ""})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_eml_draft_goes_to_the_decision_maker_with_the_pdf(root: Path) -> None:
    code, out, err = run(root, "shenyang-heavy", "--as-of", "2026-03-15", "-f", "eml")
    assert code == 0, err
    assert out == "letters/shenyang-heavy/2026-03-15-demand.eml\n"
    message = parse((root / out.strip()).read_bytes())
    assert message["To"] == "王建国 <wang@example.cn>"
    assert message["From"] == "辽宁测试贸易有限公司 <ar@test.example.cn>"
    assert message["Subject"] == "催款函（编号：shenyang-heavy-20260315-demand）- 辽宁测试贸易有限公司"
    assert message["X-Unsent"] == "1"
    body = text_of(message)
    assert body.startswith("王建国：\n\n您好！附件为我司《催款函》（编号：shenyang-heavy-20260315-demand）")
    assert "合计未付：¥120,000.00（大写：人民币壹拾贰万元整）" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "shenyang-heavy-20260315-demand.pdf"
    assert attachment.get_content().startswith(b"%PDF-")


def test_eml_without_an_address_says_where_to_add_one(root: Path) -> None:
    code, _, err = run(root, "benxi-taihe", "--as-of", "2026-03-15", "-f", "eml")
    assert code == 2
    assert "no email address for 本溪泰和五金有限公司: add `email:` to a contact in debtors/benxi-taihe.yaml" in err


@pytest.mark.usefixtures("fast_pdf")
def test_send_delivers_over_smtp_and_records_an_email_letter(root: Path, smtp_server: tuple[Inbox, int]) -> None:
    inbox, port = smtp_server
    (root / "dunning.yaml").write_text(SETTINGS + f"smtp: {{host: 127.0.0.1, port: {port}, starttls: false}}\n",
                                       encoding="utf-8")
    code, out, err = run(root, "shenyang-heavy", "--as-of", "2026-03-15", "--send", "--record", "--no-commit")
    assert code == 0, err
    assert "sent to 王建国 <wang@example.cn>" in out
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["wang@example.cn"]
    assert envelope.mail_from == "ar@test.example.cn"
    received = parse(envelope.original_content)
    assert received["Subject"] == "催款函（编号：shenyang-heavy-20260315-demand）- 辽宁测试贸易有限公司"
    assert received["X-Unsent"] is None  # a sent message is not a draft
    event = load_debtor(root, "shenyang-heavy").events[-1]
    assert (event.type, event.via, event.template) == ("letter", "email", "demand")


@pytest.mark.usefixtures("fast_pdf")
def test_send_failure_is_an_error_and_records_nothing(root: Path) -> None:
    (root / "dunning.yaml").write_text(SETTINGS + f"smtp: {{host: 127.0.0.1, port: {free_port()}, "
                                       "starttls: false}\n", encoding="utf-8")
    code, _, err = run(root, "shenyang-heavy", "--as-of", "2026-03-15", "--send", "--record")
    assert code == 2
    assert "sending through 127.0.0.1:" in err
    assert load_debtor(root, "shenyang-heavy").events == []


def test_login_needs_the_password_from_the_environment() -> None:
    message = EmailMessage()
    with pytest.raises(MailError, match=r"\$DUNNING_SMTP_PASSWORD is empty"):
        send(message, Smtp(host="127.0.0.1", user="ar"), None)
