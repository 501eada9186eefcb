"""notify: the inbox row at once, one outbox message per external channel, once per key."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from portal.notifications import services
from portal.notifications.models import Notification
from portal.outbox.choices import OutboxStatus
from portal.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

KEY = "approvals.application:42:accepted"


def _notify(**overrides):
    arguments = {"subject": "申请已受理", "body": "您的食品经营许可申请已受理。", "link": "/applications/42/",
                 "key": KEY, **overrides}
    return services.notify(**arguments)


def _outbox() -> list[tuple]:
    return list(OutboxMessage.objects.order_by("idempotency_key").values_list("kind", "idempotency_key", "payload",
                                                                              "status"))


def test_notify_writes_the_inbox_row_and_one_outbox_message_per_external_channel(applicant_citizen):
    # when
    notification = _notify(recipient=applicant_citizen)
    # then the inbox row carries the addresses as they were
    assert (notification.recipient, notification.in_inbox, notification.read_at) == (applicant_citizen, True, None)
    assert (notification.recipient_email, notification.recipient_phone) == ("zhang@example.cn", "13812345678")
    # and email and SMS wait in the outbox, keyed per channel
    assert _outbox() == [
        ("notification.send", f"{KEY}:email", {"notification_id": notification.pk, "channel": "email"},
         OutboxStatus.PENDING),
        ("notification.send", f"{KEY}:sms", {"notification_id": notification.pk, "channel": "sms"},
         OutboxStatus.PENDING),
    ]


def test_notify_twice_with_one_key_creates_nothing_new(applicant_citizen):
    first = _notify(recipient=applicant_citizen)
    second = _notify(recipient=applicant_citizen, body="另一段内容")
    assert second.pk == first.pk
    assert Notification.objects.get().body == "您的食品经营许可申请已受理。"
    assert len(_outbox()) == 2


def test_given_addresses_override_the_users(applicant_citizen):
    notification = _notify(recipient=applicant_citizen, email="agent@example.cn", phone="13700002222")
    assert (notification.recipient_email, notification.recipient_phone) == ("agent@example.cn", "13700002222")


def test_a_bare_contact_gets_email_and_sms_but_no_inbox(db):
    notification = _notify(email="contact@example.cn", phone="13600003333")
    assert (notification.recipient, notification.in_inbox) == (None, False)
    assert [row[1] for row in _outbox()] == [f"{KEY}:email", f"{KEY}:sms"]


def test_only_the_requested_channels_are_used(applicant_citizen):
    notification = _notify(recipient=applicant_citizen, channels=("sms",))
    assert (notification.in_inbox, notification.recipient_email) == (False, "")
    assert [row[1] for row in _outbox()] == [f"{KEY}:sms"]


def test_inbox_only_enqueues_nothing(applicant_citizen, drain_nudges):
    notification = _notify(recipient=applicant_citizen, channels=("inbox",))
    assert notification.in_inbox is True
    assert _outbox() == []


def test_channels_without_an_address_are_skipped(applicant_without_contacts):
    notification = _notify(recipient=applicant_without_contacts)
    assert (notification.in_inbox, notification.recipient_email, notification.recipient_phone) == (True, "", "")
    assert _outbox() == []


def test_nowhere_to_deliver_is_refused(applicant_without_contacts):
    with pytest.raises(ValueError, match="none of the requested channels"):
        _notify(recipient=applicant_without_contacts, channels=("email", "sms"))
    with pytest.raises(ValueError, match="none of the requested channels"):
        _notify()
    assert Notification.objects.count() == 0


@pytest.mark.parametrize("link", ["javascript:alert(1)", "//evil.example/", "ftp://x/"])
def test_unsafe_links_are_refused(applicant_citizen, link):
    with pytest.raises(ValueError, match="link"):
        _notify(recipient=applicant_citizen, link=link)


def test_unknown_channel_is_refused(applicant_citizen):
    with pytest.raises(ValueError, match="wechat"):
        _notify(recipient=applicant_citizen, channels=("wechat",))


def test_subject_is_kept_on_one_line(applicant_citizen):
    assert _notify(recipient=applicant_citizen, subject="申请\n已受理").subject == "申请 已受理"


@pytest.mark.django_db(transaction=True)
def test_notify_rolls_back_with_the_change_it_announces(applicant_citizen, drain_nudges):
    with pytest.raises(RuntimeError), transaction.atomic():
        _notify(recipient=applicant_citizen)
        raise RuntimeError("the acceptance failed")
    assert Notification.objects.count() == 0
    assert _outbox() == []
    assert drain_nudges == []


def test_mark_read_is_for_the_recipient_only_and_keeps_the_first_time(applicant_citizen, other_citizen):
    notification = _notify(recipient=applicant_citizen)
    with pytest.raises(PermissionDenied):
        services.mark_read(notification, actor=other_citizen)
    assert services.mark_read(notification, actor=applicant_citizen) is True
    first_read_at = Notification.objects.get().read_at
    assert services.mark_read(notification, actor=applicant_citizen) is False
    assert Notification.objects.get().read_at == first_read_at


def test_mark_all_read_touches_only_the_actors_unread_inbox(applicant_citizen, other_citizen):
    _notify(recipient=applicant_citizen, key="a")
    _notify(recipient=applicant_citizen, key="b")
    theirs = _notify(recipient=other_citizen, key="c")
    assert services.mark_all_read(actor=applicant_citizen) == 2
    assert services.mark_all_read(actor=applicant_citizen) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
