"""Email and SMS through the outbox: sent once per delivery key, again only after a failure."""

import logging
import threading
import time

import pytest
from django.core import mail
from django.db import connection, connections, transaction

from portal.notifications import services
from portal.notifications.delivery import deliver_notification, message_id_for
from portal.notifications.models import Delivery, Notification
from portal.notifications.sms import LoggingSmsBackend, get_sms_backend
from portal.outbox.choices import OutboxStatus
from portal.outbox.models import OutboxMessage
from portal.outbox.services import drain

KEY = "approvals.application:42:accepted"


class FailingSmsBackend:
    """A gateway that is down for its first ``failures`` calls."""

    failures = 1
    calls = 0

    def send(self, phone: str, text: str) -> str:
        FailingSmsBackend.calls += 1
        if FailingSmsBackend.calls <= FailingSmsBackend.failures:
            raise ConnectionError("SMS gateway timeout")
        return LoggingSmsBackend().send(phone, text)


class SlowSmsBackend(LoggingSmsBackend):
    def send(self, phone: str, text: str) -> str:
        time.sleep(0.3)
        return super().send(phone, text)


def _notify(recipient, **overrides):
    return services.notify(recipient=recipient, subject="申请已受理", body="您的申请已受理。", link="/applications/42/",
                           key=KEY, **overrides)


@pytest.mark.django_db
def test_drain_sends_the_email_and_the_sms_once_and_records_them(applicant_citizen, sms_log):
    # given
    notification = _notify(applicant_citizen)
    # when
    report = drain()
    # then one email, to the address, with a Message-ID derived from the delivery key
    assert report.delivered == 2
    [email] = mail.outbox
    assert (email.to, email.subject, email.from_email) == (["zhang@example.cn"], "申请已受理",
                                                           "noreply@zwfw.jiangzhou.gov.cn")
    assert email.body == "您的申请已受理。\n\n/applications/42/"
    assert email.extra_headers["Message-ID"] == message_id_for(f"{KEY}:email")
    # and one SMS
    [sms] = sms_log.sent()
    assert (sms.phone, sms.text) == ("13812345678", "申请已受理：您的申请已受理。 /applications/42/")
    # and one Delivery per channel, with the provider's reference
    assert sorted(notification.deliveries.values_list("channel", "idempotency_key", "provider_reference")) == [
        ("email", f"{KEY}:email", message_id_for(f"{KEY}:email")),
        ("sms", f"{KEY}:sms", sms.reference),
    ]


@pytest.mark.django_db
def test_a_delivery_made_again_sends_nothing(applicant_citizen, sms_log):
    # given a notification whose SMS went out
    notification = _notify(applicant_citizen, channels=("sms",))
    payload = {"notification_id": notification.pk, "channel": "sms"}
    deliver_notification(payload, f"{KEY}:sms")
    # when the outbox delivers it again (a worker killed before recording the delivery)
    deliver_notification(payload, f"{KEY}:sms")
    # then
    assert len(sms_log.sent()) == 1
    assert Delivery.objects.count() == 1


@pytest.mark.django_db
def test_a_provider_failure_records_nothing_and_the_retry_sends_once(applicant_citizen, settings, sms_log):
    # given an SMS gateway down for one call
    settings.SMS_BACKEND = "tests.notifications.test_delivery.FailingSmsBackend"
    FailingSmsBackend.calls, FailingSmsBackend.failures = 0, 1
    _notify(applicant_citizen, channels=("sms",))
    # when the first attempt fails
    assert drain().failed == 1
    # then no Delivery was recorded and the message waits for its retry
    assert Delivery.objects.count() == 0
    message = OutboxMessage.objects.get()
    assert message.status == OutboxStatus.PENDING
    assert "ConnectionError: SMS gateway timeout" in message.last_error
    # when the retry comes
    assert drain(now=message.available_at).delivered == 1
    # then it was sent once and recorded once
    assert len(sms_log.sent()) == 1
    assert Delivery.objects.get().channel == "sms"


@pytest.mark.django_db
def test_a_notification_deleted_meanwhile_is_dropped_quietly(applicant_citizen, sms_log, caplog):
    notification = _notify(applicant_citizen, channels=("sms",))
    Notification.objects.filter(pk=notification.pk).delete()
    with caplog.at_level(logging.INFO, logger="portal.notifications.delivery"):
        assert drain().delivered == 1
    assert sms_log.sent() == []
    assert "no longer exists" in caplog.text


def test_message_id_is_stable_per_key_and_distinct_between_keys():
    assert message_id_for("a:email") == message_id_for("a:email")
    assert message_id_for("a:email") != message_id_for("b:email")
    assert message_id_for("a:email").endswith("@zwfw.jiangzhou.gov.cn>")


def test_sms_backend_comes_from_settings(settings):
    assert isinstance(get_sms_backend(), LoggingSmsBackend)
    settings.SMS_BACKEND = "tests.notifications.test_delivery.FailingSmsBackend"
    assert isinstance(get_sms_backend(), FailingSmsBackend)


def test_logging_backend_masks_the_number(sms_log, caplog):
    with caplog.at_level(logging.INFO, logger="portal.notifications.sms"):
        reference = LoggingSmsBackend().send("13812345678", "验证码 123456")
    assert "138****5678" in caplog.text
    assert "13812345678" not in caplog.text
    assert "123456" not in caplog.text
    assert [(sms.phone, sms.reference) for sms in sms_log.sent()] == [("13812345678", reference)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises all writers anyway")
def test_two_concurrent_deliveries_of_one_key_send_once(applicant_citizen, settings, sms_log):
    # given a slow gateway, and two drains that both hold the same message (one overran its lease)
    settings.SMS_BACKEND = "tests.notifications.test_delivery.SlowSmsBackend"
    with transaction.atomic():
        notification = _notify(applicant_citizen, channels=("sms",))
    payload = {"notification_id": notification.pk, "channel": "sms"}
    barrier, errors = threading.Barrier(2), []

    def deliver() -> None:
        try:
            barrier.wait(timeout=10)
            deliver_notification(payload, f"{KEY}:sms")
        except BaseException as error:  # reported to the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    # when both deliver at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then the second waited on the unique key for the first, found its Delivery, and sent nothing
    assert errors == []
    assert len(sms_log.sent()) == 1
    assert Delivery.objects.count() == 1
