"""Senders for the notification outbox: the log (default) or GOV.UK Notify (when keys are set).

Message wording lives here, one template per kind of message, so the log sender shows exactly
what a resident would receive and the Notify templates can be created from the same text.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask

from core.outbox import OutboxMessage

log = logging.getLogger("inclusion_planner.notifications")

TEMPLATES: dict[str, str] = {
    "staff_invitation": "Hello {name}, you have been invited to the Digital Inclusion Planner. "
    "Create your password here: {link} (the link works once, until {expires}).",
    "booking_confirmed": "Your place is booked: {session} on {when} at {venue}. Your booking reference "
    "is {reference}. To cancel, use {cancel_link}",
    "session_reminder": "Reminder: {session} is on {when} at {venue}. Reference {reference}.",
    "waiting_list_joined": "The session {session} on {when} is full, so you are on the waiting list. "
    "We will tell you if a place comes up. Reference {reference}.",
    "waiting_list_offer": "A place has come up on {session} on {when}. Accept it by {expires}: {accept_link}",
    "booking_cancelled": "Your booking {reference} for {session} on {when} is cancelled.",
    "session_cancelled": "Sorry, {session} on {when} at {venue} has been cancelled. Reference {reference}.",
    "loan_request_received": "We have your request to borrow a device or data. "
    "Your reference is {reference}.",
    "loan_due_soon": "Please return {items} by {due_date}. Reference {reference}.",
    "loan_overdue": "{items} was due back on {due_date}. Please return it or contact us. "
    "Reference {reference}.",
    "waiting_list_offer_expired": "The place offered to you on {session} on {when} was not taken up "
    "in time, so it has gone to the next person waiting. Reference {reference}.",
    "session_changed": "{session} has changed. It is now on {when} at {venue}. "
    "Reference {reference}.",
    "loan_issued": "You have borrowed {items}. Please bring it back by {due_date}. "
    "Your reference is {reference}.",
    "loan_renewed": "Your loan of {items} is renewed. Please bring it back by {due_date}. "
    "Reference {reference}.",
}


def render(message: OutboxMessage) -> str:
    """The text of ``message`` as the resident would read it."""
    template = TEMPLATES.get(message.template)
    if template is None:
        return f"[{message.template}] {json.dumps(message.personalisation, sort_keys=True)}"
    values: dict[str, Any] = {key: value for key, value in (message.personalisation or {}).items()}
    try:
        return template.format(**values)
    except KeyError as missing:
        return f"[{message.template}: missing {missing}] {json.dumps(values, sort_keys=True)}"


class LogSender:
    """Writes each message to the application log instead of sending it (the default)."""

    def send(self, message: OutboxMessage) -> str:
        log.info(
            "notification %s to %s by %s: %s",
            message.template,
            message.recipient,
            message.channel,
            render(message),
        )
        return f"log-{message.id}"


class NotifySender:
    """Sends through GOV.UK Notify; ``template_ids`` maps our template names to Notify ids."""

    def __init__(self, api_key: str, template_ids: dict[str, str]) -> None:
        from notifications_python_client.notifications import NotificationsAPIClient

        self.client = NotificationsAPIClient(api_key)
        self.template_ids = template_ids

    def send(self, message: OutboxMessage) -> str:
        template_id = self.template_ids.get(message.template)
        if template_id is None:
            raise LookupError(f"no GOV.UK Notify template id configured for {message.template}")
        if not message.recipient:
            raise LookupError("the message has no recipient (removed under the retention policy?)")
        personalisation = dict(message.personalisation or {})
        if message.channel == "sms":
            response = self.client.send_sms_notification(
                phone_number=message.recipient,
                template_id=template_id,
                personalisation=personalisation,
                reference=message.reference,
            )
        else:
            response = self.client.send_email_notification(
                email_address=message.recipient,
                template_id=template_id,
                personalisation=personalisation,
                reference=message.reference,
            )
        return str(response.get("id", ""))


def sender_for(app: Flask) -> LogSender | NotifySender:
    """The Notify sender when ``NOTIFY_API_KEY`` is configured, otherwise the log sender."""
    key = app.config.get("NOTIFY_API_KEY")
    if key:
        return NotifySender(key, dict(app.config.get("NOTIFY_TEMPLATE_IDS") or {}))
    return LogSender()
