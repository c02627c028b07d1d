"""Email drafts of letters (.eml with the PDF attached) and sending them over SMTP.

A draft opens in Outlook, Thunderbird or Apple Mail as an unsent message (`X-Unsent: 1`) to check
and send by hand; it asks for a read receipt (`Disposition-Notification-To`). `dunning letter
--send` sends it instead through the `smtp:` server of dunning.yaml, the password taken from
$DUNNING_SMTP_PASSWORD (never from a file in the ledger, which is kept in git).
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from email.utils import formataddr
from email.utils import make_msgid

from dunning.model import Smtp

PASSWORD_ENV = "DUNNING_SMTP_PASSWORD"  # noqa: S105 - the name of the variable, not a password


class MailError(Exception):
    """An email that cannot be drafted or sent; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def draft(*, sender: str, sender_name: str, recipient: str, recipient_name: str | None, subject: str,
          text: str, attachment: bytes, filename: str, when: datetime, unsent: bool = True) -> EmailMessage:
    """An email with the letter as text and its PDF attached; a draft (`X-Unsent: 1`) unless `unsent=False`."""
    if "@" not in sender:
        raise MailError(f"the sender address '{sender}' is not an email address (creditor.email in dunning.yaml)")
    if "@" not in recipient:
        raise MailError(f"the recipient address '{recipient}' is not an email address")
    message = EmailMessage(policy=SMTP)
    message["From"] = formataddr((sender_name, sender))
    message["To"] = formataddr((recipient_name or "", recipient))
    message["Subject"] = subject
    message["Date"] = format_datetime(when)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[1])
    message["Disposition-Notification-To"] = formataddr((sender_name, sender))
    if unsent:
        message["X-Unsent"] = "1"
    message.set_content(text, charset="utf-8")
    message.add_attachment(attachment, maintype="application", subtype="pdf", filename=filename)
    return message


def as_bytes(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=SMTP)


def send(message: EmailMessage, smtp: Smtp, password: str | None, *, timeout: float = 60) -> None:
    """Send through the configured server (STARTTLS when `starttls`, login when `user` is set)."""
    if smtp.user and not password:
        raise MailError(f"smtp.user is set but ${PASSWORD_ENV} is empty: export the SMTP password in it")
    if "X-Unsent" in message:
        del message["X-Unsent"]
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as server:
            server.ehlo()
            if smtp.starttls:
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
            if smtp.user and password:
                server.login(smtp.user, password)
            refused = server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"sending through {smtp.host}:{smtp.port} failed: {error}") from None
    if refused:
        raise MailError(f"the server refused: {', '.join(refused)}")
