"""The SMS gateway behind an interface: the portal names a backend class in ``settings.SMS_BACKEND``.

A real backend (a carrier's or a cloud SMS API) implements ``SmsBackend``: ``send`` returns the
provider's reference for the message, raises on refusal, and bounds its own network calls with a
timeout (a delivery waits for it). The default backend only logs, with the number masked.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

from portal.audit.masking import mask_phone

logger = logging.getLogger(__name__)


@runtime_checkable
class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> str:
        """Hand one text to the provider; return its reference for the message."""
        ...


@dataclass(frozen=True)
class SentSms:
    phone: str
    text: str
    reference: str


class LoggingSmsBackend:
    """Sends nothing: logs each message (number masked) and keeps the last ones for tests."""

    KEEP = 100
    _sent: deque[SentSms] = deque(maxlen=KEEP)
    _lock = threading.Lock()

    def send(self, phone: str, text: str) -> str:
        reference = f"log-{uuid.uuid4().hex}"
        with self._lock:
            self._sent.append(SentSms(phone=phone, text=text, reference=reference))
        logger.info("SMS to %s (%d characters), reference %s", mask_phone(phone), len(text), reference)
        return reference

    @classmethod
    def sent(cls) -> list[SentSms]:
        """The last messages "sent" in this process, oldest first."""
        with cls._lock:
            return list(cls._sent)

    @classmethod
    def clear(cls) -> None:
        with cls._lock:
            cls._sent.clear()


def get_sms_backend() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
