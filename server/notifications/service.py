"""The notification outbox: rows written in the transaction that causes them, delivered
after commit by a job, retried with backoff, and marked failed only after many attempts.

Delivery is at least once: the row stays locked while the message is sent, so a crash
between sending and committing sends it again rather than losing it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from server.config import Settings
from server.db import Context, Database, Job, Tx
from server.notifications import mailer, messages, queries, rules

log = logging.getLogger(__name__)

DELIVER_JOB = "deliver_notification"
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=2)
LONGEST_RETRY = timedelta(hours=1)


def retry_delay(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failures: 2 s, 8 s, 32 s, … up to 1 h."""
    delay: timedelta = FIRST_RETRY * 4 ** max(attempts - 1, 0)
    return min(delay, LONGEST_RETRY)


def _deliver_job(tx: Tx, notification_id: UUID, attempt: int, at: datetime | None = None) -> Job:
    return Job(
        name=DELIVER_JOB,
        args=(tx.tenant_id, notification_id),
        job_id=f"notify:{notification_id}:{attempt}",
        defer_until=at,
    )


async def notify_roles(
    tx: Tx, *, roles: list[str], kind: str, subject: str, body: str
) -> list[UUID]:
    """Queue a message to every active user with one of ``roles``, sent after commit."""
    ids = await queries.insert_role_notifications(
        tx, roles=roles, kind=kind, subject=subject, body=body
    )
    for notification_id in ids:
        tx.enqueue(_deliver_job(tx, notification_id, 0))
    return ids


async def notify_booking(
    tx: Tx, kind: str, booking: dict[str, Any], *, actor_id: UUID | None
) -> list[UUID]:
    """Queue the lifecycle mail ``kind`` about ``booking`` (its JSON form) to the audience
    ``rules.EMAIL`` names, rendered from the templates; sent after commit."""
    rule = rules.EMAIL[kind]
    requester_id = UUID(str(booking["requester_id"]))
    row = await queries.mail_names(
        tx,
        resource_id=UUID(str(booking["resource_id"])),
        requester_id=requester_id,
        actor_id=actor_id,
    )
    if row is None:
        return []
    names = messages.Names(
        tenant=row["tenant"],
        timezone=row["timezone"],
        resource=row["resource"],
        requester=row["requester"],
        requester_email=row["requester_email"],
        actor=row["actor"],
    )
    to_requester = rule.audience == "requester"
    text = messages.render(kind, booking, names, to_requester=to_requester)
    if to_requester:
        one = await queries.insert_user_notification(
            tx,
            user_id=requester_id,
            kind=kind,
            subject=text.subject,
            body=text.text,
            html=text.html,
            ics=text.ics,
            ics_method=text.ics_method,
        )
        ids = [one] if one is not None else []
    else:
        ids = await queries.insert_role_notifications(
            tx,
            roles=rules.MANAGER_ROLES,
            kind=kind,
            subject=text.subject,
            body=text.text,
            html=text.html,
            except_user=actor_id,
        )
    for notification_id in ids:
        tx.enqueue(_deliver_job(tx, notification_id, 0))
    return ids


async def deliver(db: Database, settings: Settings, tenant_id: UUID, notification_id: UUID) -> str:
    """Try to send one due message; returns what happened. Safe to run any number of times."""
    ctx = Context(tenant_id=tenant_id, request_id=f"notification:{notification_id}")

    async def work(tx: Tx) -> str:
        row = await queries.claim_notification(tx, notification_id)
        if row is None:
            return "skipped"
        message = mailer.Message(
            to=row["to_address"],
            subject=row["subject"],
            body=row["body"],
            html=row["html"],
            ics=row["ics"],
            ics_method=row["ics_method"],
        )
        try:
            await mailer.send(settings.smtp_url, settings.mail_from, message)
        except mailer.DeliveryError as exc:
            attempts = int(row["attempts"]) + 1
            give_up = exc.permanent or attempts >= MAX_ATTEMPTS
            result = await queries.mark_failed_attempt(
                tx,
                notification_id,
                error=str(exc)[:1000],
                retry_in=retry_delay(attempts),
                give_up=give_up,
            )
            if give_up:
                log.warning("notification %s failed for good: %s", notification_id, exc)
                return "failed"
            log.info("notification %s attempt %d failed: %s", notification_id, attempts, exc)
            tx.enqueue(_deliver_job(tx, notification_id, attempts, result["next_attempt_at"]))
            return "retry"
        await queries.mark_sent(tx, notification_id)
        return "sent"

    return await db.run(ctx, work)


async def deliver_due(db: Database, settings: Settings, *, limit: int = 100) -> int:
    """Send messages whose job was lost or whose retry is due; returns how many were sent."""
    candidates = await db.read(None, lambda tx: queries.due_notifications(tx, limit=limit))
    sent = 0
    for row in candidates:
        if await deliver(db, settings, row["tenant_id"], row["id"]) == "sent":
            sent += 1
    return sent
