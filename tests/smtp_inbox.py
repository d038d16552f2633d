"""The local SMTP server's mailbox for the mail tests (aiosmtpd handler): every message kept with its
recipients, parsed; addresses in ``refuse`` are rejected at RCPT as a real server would."""

from __future__ import annotations

import email
from email import policy


class Inbox:
    def __init__(self, refuse=()):
        self.messages = []
        self.refuse = set(refuse)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"
