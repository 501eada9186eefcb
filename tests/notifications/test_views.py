"""The inbox screens: only one's own notifications, mark read by POST, pinned query counts."""

import pytest
from django.urls import reverse

from portal.notifications import services
from portal.notifications.models import Notification
from portal.organisation.backends import forget_users

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.notifications.urls")]


def _notify(recipient, key, **overrides):
    arguments = {"subject": f"通知 {key}", "body": "您的申请有新进展。", "link": "/applications/42/",
                 "channels": ("inbox",), **overrides}
    return services.notify(recipient=recipient, key=key, **arguments)


def test_anonymous_is_sent_to_the_login(client):
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_inbox_lists_only_ones_own_notifications_newest_first(client, applicant_citizen, other_citizen):
    _notify(applicant_citizen, "mine-1")
    _notify(applicant_citizen, "mine-2")
    _notify(other_citizen, "theirs")
    services.notify(recipient=applicant_citizen, phone="13812345678", subject="短信验证码", body="123456",
                    key="sms-only", channels=("sms",))
    client.force_login(applicant_citizen)
    response = client.get(reverse("notifications:inbox"))
    page = response.content.decode()
    assert response.status_code == 200
    assert [notification.subject for notification in response.context["page"]] == ["通知 mine-2", "通知 mine-1"]
    assert "通知 theirs" not in page
    assert "短信验证码" not in page
    assert "2 条未读" in page
    assert 'href="/applications/42/"' in page


def test_inbox_query_count_does_not_grow_with_the_list(client, applicant_citizen, django_assert_num_queries):
    client.force_login(applicant_citizen)
    for number in range(3):
        _notify(applicant_citizen, f"k-{number}")
    # the user (the session is read from the cache), count for the paginator, the page, the unread count
    forget_users()
    with django_assert_num_queries(4):
        client.get(reverse("notifications:inbox"))
    for number in range(3, 15):
        _notify(applicant_citizen, f"k-{number}")
    forget_users()
    with django_assert_num_queries(4):
        client.get(reverse("notifications:inbox"))


def test_mark_read_by_the_recipient(client, applicant_citizen):
    notification = _notify(applicant_citizen, "k-1")
    client.force_login(applicant_citizen)
    response = client.post(reverse("notifications:mark_read", args=[notification.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:inbox")
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_mark_read_follows_a_local_next_but_not_another_site(client, applicant_citizen):
    first, second = _notify(applicant_citizen, "k-1"), _notify(applicant_citizen, "k-2")
    client.force_login(applicant_citizen)
    url = reverse("notifications:mark_read", args=[first.pk])
    assert client.post(url, {"next": "/applications/42/"})["Location"] == "/applications/42/"
    url = reverse("notifications:mark_read", args=[second.pk])
    assert client.post(url, {"next": "https://evil.example/"})["Location"] == reverse("notifications:inbox")


def test_another_persons_notification_is_not_found_and_stays_unread(client, applicant_citizen, other_citizen):
    theirs = _notify(other_citizen, "theirs")
    client.force_login(applicant_citizen)
    response = client.post(reverse("notifications:mark_read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_needs_post_and_a_signed_in_user(client, applicant_citizen):
    notification = _notify(applicant_citizen, "k-1")
    url = reverse("notifications:mark_read", args=[notification.pk])
    assert client.post(url).status_code == 302  # to the login
    client.force_login(applicant_citizen)
    assert client.get(url).status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read(client, applicant_citizen, other_citizen):
    _notify(applicant_citizen, "k-1")
    _notify(applicant_citizen, "k-2")
    _notify(other_citizen, "theirs")
    client.force_login(applicant_citizen)
    response = client.post(reverse("notifications:mark_all_read"), follow=True)
    assert "已将 2 条消息标记为已读。" in response.content.decode()
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
