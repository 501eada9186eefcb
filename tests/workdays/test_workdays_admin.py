"""The calendar admin: edits go through the services, publishing, and the missing-year notice."""

import datetime

import pytest
from django.contrib.messages import get_messages

from portal.workdays import add_working_days
from portal.workdays.choices import DayKind, YearStatus
from portal.workdays.models import CalendarDay, CalendarYear
from portal.workdays.notices import missing_year_notices

D = datetime.date
NOTICE_2027 = "2027 年节假日安排尚未发布：期限按仅跳过周末计算，结果为临时值。"


@pytest.fixture
def today_2026_11_23(monkeypatch):
    monkeypatch.setattr("portal.workdays.table.timezone.localdate", lambda: D(2026, 11, 23))


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_notice_names_each_unpublished_year(today_2026_11_23):
    assert missing_year_notices() == [
        NOTICE_2027,
        "2028 年节假日安排尚未发布：期限按仅跳过周末计算，结果为临时值。",
    ]


@pytest.mark.parametrize("url", ["/admin/workdays/calendaryear/", "/admin/workdays/calendarday/"])
def test_the_lists_show_the_notice(admin_client, today_2026_11_23, url):
    response = admin_client.get(url)

    assert response.status_code == 200
    assert NOTICE_2027 in _messages(response)


def test_editing_a_day_in_the_admin_goes_through_the_service(admin_client):
    response = admin_client.post(
        "/admin/workdays/calendarday/2025-10-24/change/",
        {"kind": DayKind.HOLIDAY, "holiday_name": "临时休假"},
    )

    assert response.status_code == 302
    day = CalendarDay.objects.get(date=D(2025, 10, 24))
    assert (day.kind, day.is_working, day.ordinal) == (
        DayKind.HOLIDAY,
        False,
        CalendarDay.objects.get(date=D(2025, 10, 23)).ordinal,
    )
    assert add_working_days(D(2025, 9, 22), 20) == D(2025, 10, 27)


def test_an_impossible_day_is_refused_with_a_form_error(admin_client):
    response = admin_client.post(
        "/admin/workdays/calendarday/2025-10-24/change/",
        {"kind": DayKind.ADJUSTED_WORKDAY, "holiday_name": ""},
    )

    assert response.status_code == 200
    assert "只能用于星期六或星期日" in response.content.decode()
    assert CalendarDay.objects.get(date=D(2025, 10, 24)).kind == DayKind.WORKDAY


def test_the_publish_action_publishes_a_year_as_entered(admin_client, today_2026_11_23):
    admin_client.post(
        "/admin/workdays/calendarday/2027-01-01/change/", {"kind": DayKind.HOLIDAY, "holiday_name": "元旦"}
    )

    response = admin_client.post(
        "/admin/workdays/calendaryear/",
        {"action": "publish_selected_years", "_selected_action": ["2027"]},
        follow=True,
    )

    calendar_year = CalendarYear.objects.get(year=2027)
    assert (calendar_year.status, calendar_year.source) == (YearStatus.PUBLISHED, "admin")
    assert "已发布 2027 年的节假日安排。" in _messages(response)
    assert NOTICE_2027 not in _messages(response)
    assert add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)


def test_the_day_list_is_browsed_by_month(admin_client):
    response = admin_client.get("/admin/workdays/calendarday/", {"date__year": "2025", "date__month": "10"})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 31
