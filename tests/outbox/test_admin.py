"""The outbox admin: read-only list, the backlog's health on top, and "retry dead"."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from portal.audit.models import AuditEntry
from portal.organisation import services as organisation
from portal.organisation.choices import UserKind
from portal.organisation.models import User
from portal.outbox.choices import OutboxEventType, OutboxStatus
from portal.outbox.models import OutboxMessage
from portal.outbox.services import enqueue

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/outbox/outboxmessage/"


@pytest.fixture
def viewer(db):
    """Staff who may look at the outbox but not retry anything."""
    user = organisation.save_user(User(username="viewer", kind=UserKind.STAFF, is_staff=True), actor=None,
                                  password="pass-for-tests-2026")
    user.user_permissions.add(Permission.objects.get(codename="view_outboxmessage"))
    return user


@pytest.fixture
def dead_message():
    message = enqueue("test.broken", key="regulator.push:7", payload={})
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.DEAD, attempts=12,
                                                       last_error="Traceback ...\nConnectionError: refused")
    return message


def test_list_shows_the_backlog_and_the_oldest_waiting_age(admin_client, dead_message):
    # given a message waiting for 25 minutes, beside the dead one
    waiting = enqueue("test.dedupe", key="k-1", payload={})
    OutboxMessage.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(minutes=25))
    # when
    response = admin_client.get(LIST_URL)
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "待投递 1 条，投递中 0 条，投递失败 1 条。" in page
    assert "最早一条未投递的消息已等待 25" in page
    assert "后台任务可能未正常运行" in page
    assert "ConnectionError: refused" in page


def test_an_empty_outbox_is_reported_healthy(admin_client):
    page = admin_client.get(LIST_URL).content.decode()
    assert "没有等待投递的消息。" in page
    assert "后台任务可能未正常运行" not in page


def test_messages_cannot_be_added_changed_or_deleted(admin_client, dead_message):
    assert admin_client.get(LIST_URL + "add/").status_code == 403
    change = admin_client.get(f"{LIST_URL}{dead_message.pk}/change/")
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()
    assert admin_client.post(f"{LIST_URL}{dead_message.pk}/delete/").status_code == 403


def test_retry_dead_action_requeues_and_records_the_administrator(admin_client, admin_user, dead_message):
    # when
    response = admin_client.post(
        LIST_URL, {"action": "retry_dead_messages", "_selected_action": [dead_message.pk]}, follow=True
    )
    # then
    assert response.status_code == 200
    assert "已安排重新投递 1 条失败消息。" in response.content.decode()
    dead_message.refresh_from_db()
    assert (dead_message.status, dead_message.attempts) == (OutboxStatus.PENDING, 0)
    entry = AuditEntry.objects.get(event_type=OutboxEventType.MESSAGE_RETRIED)
    assert entry.actor_username == admin_user.username


def test_a_viewer_sees_the_list_but_cannot_retry(client, viewer, dead_message):
    client.force_login(viewer)
    page = client.get(LIST_URL)
    assert page.status_code == 200
    assert "retry_dead_messages" not in page.content.decode()
    client.post(LIST_URL, {"action": "retry_dead_messages", "_selected_action": [dead_message.pk]})
    dead_message.refresh_from_db()
    assert dead_message.status == OutboxStatus.DEAD
    assert not AuditEntry.objects.filter(event_type=OutboxEventType.MESSAGE_RETRIED).exists()


def test_anonymous_is_sent_to_the_login(client):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
