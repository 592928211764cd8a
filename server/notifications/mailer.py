"""Sending one message: SMTP when ``BOOKING_SMTP_URL`` is set, otherwise the log.

``smtp://[user:password@]host[:port][?starttls=true]`` or ``smtps://…`` (TLS from the
first byte). The stdlib client runs in a thread so the event loop never blocks on it.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger(__name__)
TIMEOUT = 10.0


class DeliveryError(Exception):
    """A message was not delivered; ``permanent`` says retrying would not help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class Message:
    to: str
    subject: str
    body: str
    html: str | None = None
    ics: str | None = None
    ics_method: str | None = None


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    host: str
    port: int
    tls: bool
    starttls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpTarget:
        parts = urlsplit(url)
        tls = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if tls else 25),
            tls=tls,
            starttls=query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes"),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


async def send(smtp_url: str | None, sender: str, message: Message) -> None:
    """Deliver ``message``; raises DeliveryError saying whether a retry could help."""
    if not smtp_url:
        log.info("mail to %s (no SMTP configured): %s", message.to, message.subject)
        return
    target = SmtpTarget.from_url(smtp_url)
    await asyncio.to_thread(_send_sync, target, sender, message)


def _send_sync(target: SmtpTarget, sender: str, message: Message) -> None:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email.set_content(message.body)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    if message.ics and message.ics_method:
        # text/calendar with its iTIP method: mail clients offer to add (or remove) it.
        email.add_attachment(
            message.ics,
            subtype="calendar",
            filename="booking.ics",
            params={"method": message.ics_method},
        )
    try:
        client: smtplib.SMTP
        if target.tls:
            client = smtplib.SMTP_SSL(
                target.host, target.port, timeout=TIMEOUT, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(target.host, target.port, timeout=TIMEOUT)
        with client:
            if target.starttls:
                client.starttls(context=ssl.create_default_context())
            if target.username:
                client.login(target.username, target.password or "")
            client.send_message(email)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{code} {text!r}" for code, text in exc.recipients.values())
        raise DeliveryError(
            f"recipient refused: {detail}", permanent=all(c >= 500 for c in codes)
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        # A configuration fault: keep the message until the credentials are fixed.
        raise DeliveryError(f"authentication failed: {exc.smtp_code}", permanent=False) from None
    except smtplib.SMTPResponseException as exc:
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        raise DeliveryError(
            f"{exc.smtp_code} {text}".strip(), permanent=exc.smtp_code >= 500
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False) from None
