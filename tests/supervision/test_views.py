"""The screens: the department's work list with its lights, the supervisors' list, sweep health."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from portal.organisation.backends import forget_users
from supervision import services
from supervision.models import SweepRun
from tests.approvals.conftest import at
from tests.factories import StaffFactory
from tests.supervision.conftest import accepted, paused

pytestmark = pytest.mark.django_db
D = date
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def supervisor_district_b(bureau_b):
    from portal.organisation.choices import Role

    return StaffFactory(username="supervisor_b", department=bureau_b, roles=[Role.SUPERVISOR])


@pytest.fixture
def lit(item_10, item_20, item_b_10, applicant_citizen, clerk_district_a, clerk_district_b, handler_a):
    """On 2025-10-20: a red case and a yellow one in 江城区, a green one paused there, a yellow one
    in 临湖区 — swept at 00:05."""
    cases = {
        "red_a": accepted(item_10, applicant_citizen, clerk_district_a, D(2025, 9, 22)),  # 6 over
        "yellow_a": accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22)),  # 4 left
        "green_a": accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 10, 9)),
        "yellow_b": accepted(item_b_10, applicant_citizen, clerk_district_b, D(2025, 9, 30)),  # 1 left
    }
    cases["green_a"] = paused(cases["green_a"], handler_a, D(2025, 10, 14))  # 4 used (Sat 10-11 worked)
    with at(2025, 10, 20, 0, 5):
        services.sweep_time_limits()
    return cases


def rows_of(body: str, receipt_numbers: dict[str, str]) -> list[str]:
    """The cases in the order they appear on the page."""
    positions = {name: body.find(number) for name, number in receipt_numbers.items() if number in body}
    return sorted(positions, key=positions.get)


# --- The department's work list -------------------------------------------------------------------


def test_work_list_shows_the_lights_and_the_working_days_left(client, lit, handler_a):
    client.force_login(handler_a)
    with at(2025, 10, 20, 9):
        response = client.get(reverse("approvals:queue"))

    body = response.content.decode()
    numbers = {name: case.receipt_number for name, case in lit.items()}
    assert response.status_code == 200
    assert '<span class="badge badge-red">红牌警示</span>' in body
    assert '<span class="badge badge-yellow">黄牌预警</span>' in body
    rows = [row for row in body.split("<tr>") if "JZ" in row]
    remaining = {name: next(row for row in rows if number in row) for name, number in numbers.items()
                 if any(number in row for row in rows)}
    assert "<td>-6 <span class=\"badge badge-red\">" in remaining["red_a"]
    assert "<td>4 <span class=\"badge badge-yellow\">" in remaining["yellow_a"]
    assert "<td>16 </td>" in remaining["green_a"]  # paused on 10-14 with 4 days used: frozen there
    assert "yellow_b" not in remaining  # another district


def test_work_list_is_sorted_by_remaining_working_days(client, lit, handler_a):
    client.force_login(handler_a)
    with at(2025, 10, 20, 9):
        response = client.get(reverse("approvals:queue"))

    numbers = {name: case.receipt_number for name, case in lit.items()}
    body = response.content.decode()
    waiting = body[body.index("部门待认领"):]
    mine = body[body.index("我的待办"):body.index("部门待认领")]
    assert rows_of(waiting, numbers) == ["red_a", "yellow_a"]
    assert rows_of(mine, numbers) == ["green_a"]  # claimed by the handler to pause it


def test_work_list_costs_the_same_queries_for_more_cases(client, item_20, applicant_citizen, clerk_district_a,
                                                         handler_a):
    client.force_login(handler_a)

    def queries() -> int:
        forget_users()  # each request loads its user, as the first of a process does
        with at(2025, 10, 20, 9), CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("approvals:queue")).status_code == 200
        return len(captured)

    accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))
    with at(2025, 10, 20, 0, 5):
        services.sweep_time_limits()
    few = queries()
    for _ in range(4):
        accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 23))
    with at(2025, 10, 20, 0, 10):
        services.sweep_time_limits()
    many = queries()

    assert few == many


# --- The supervisors' list ------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "status"), [
    ("applicant_citizen", 403), ("clerk_district_a", 403), ("handler_a", 403), ("outsider", 403),
    ("supervisor_district_a", 200), ("supervisor_city", 200), ("admin_district_a", 200),
])
def test_monitoring_list_is_for_supervisors_and_admins(client, request, persona, status):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse("supervision:warnings")).status_code == status


def test_monitoring_list_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("supervision:warnings"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_district_supervisor_sees_the_districts_lit_cases_gravest_first(client, lit, supervisor_district_a):
    client.force_login(supervisor_district_a)
    with at(2025, 10, 20, 9):
        response = client.get(reverse("supervision:warnings"))

    body = response.content.decode()
    numbers = {name: case.receipt_number for name, case in lit.items()}
    assert rows_of(body, numbers) == ["red_a", "yellow_a"]  # not green, not 临湖区's
    assert "2025-10-20 00:05" in body  # when the light went on


def test_a_supervisor_of_another_district_sees_none_of_them(client, lit, supervisor_district_b):
    client.force_login(supervisor_district_b)
    with at(2025, 10, 20, 9):
        response = client.get(reverse("supervision:warnings"))

    numbers = {name: case.receipt_number for name, case in lit.items()}
    assert rows_of(response.content.decode(), numbers) == ["yellow_b"]


def test_the_city_supervisor_sees_every_district_and_can_filter_by_colour(client, lit, supervisor_city):
    client.force_login(supervisor_city)
    with at(2025, 10, 20, 9):
        everything = client.get(reverse("supervision:warnings"))
        yellow = client.get(reverse("supervision:warnings"), {"colour": "yellow"})

    numbers = {name: case.receipt_number for name, case in lit.items()}
    assert rows_of(everything.content.decode(), numbers) == ["red_a", "yellow_b", "yellow_a"]
    assert rows_of(yellow.content.decode(), numbers) == ["yellow_b", "yellow_a"]
    assert everything.context["counts"] == [("yellow", "黄牌预警", 2), ("red", "红牌警示", 1),
                                            ("statutory", "超法定时限", 0)]


def test_htmx_polling_gets_the_list_alone(client, lit, supervisor_city):
    client.force_login(supervisor_city)
    with at(2025, 10, 20, 9):
        page = client.get(reverse("supervision:warnings"))
        fragment = client.get(reverse("supervision:warnings"), **HTMX)

    assert 'hx-trigger="every 60s"' in page.content.decode()
    body = fragment.content.decode()
    assert body.lstrip().startswith('<div id="warning-list"') and "<html" not in body
    assert lit["red_a"].receipt_number in body


def test_monitoring_list_costs_the_same_queries_for_more_cases(client, item_20, applicant_citizen,
                                                                clerk_district_a, supervisor_city):
    client.force_login(supervisor_city)

    def queries() -> int:
        forget_users()  # each request loads its user, as the first of a process does
        with at(2025, 10, 20, 9), CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("supervision:warnings")).status_code == 200
        return len(captured)

    accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))
    with at(2025, 10, 20, 0, 5):
        services.sweep_time_limits()
    few = queries()
    for _ in range(4):
        accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))
    with at(2025, 10, 20, 0, 10):
        services.sweep_time_limits()
    many = queries()

    assert few == many


# --- Sweep health ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "status"), [
    ("supervisor_city", 403), ("clerk_district_a", 403), ("applicant_citizen", 403), ("admin_city", 200),
])
def test_sweep_health_is_for_admins(client, request, persona, status):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse("supervision:sweep_health")).status_code == status


def test_sweep_health_shows_the_last_runs_and_their_lag(client, lit, admin_city):
    client.force_login(admin_city)
    with at(2025, 10, 20, 0, 6):
        response = client.get(reverse("supervision:sweep_health"))

    run = SweepRun.objects.get()
    body = response.content.decode()
    assert response.context["last_finished"] == run
    assert response.context["is_stale"] is False
    assert (run.cases_scanned, run.yellow_raised, run.red_raised) == (3, 2, 1)  # the paused case not scanned
    assert f"<td>{run.duration_ms}</td>" in body
    assert response.context["current_counts"] == [("黄牌预警", 2), ("红牌警示", 1), ("超法定时限", 0)]


def test_sweep_health_warns_when_the_sweep_has_stopped_or_a_run_died(client, lit, admin_city):
    with at(2025, 10, 20, 8):
        services.start_sweep_run(on=D(2025, 10, 20), trigger="schedule")  # its worker died right after
    client.force_login(admin_city)
    with at(2025, 10, 21, 9):
        response = client.get(reverse("supervision:sweep_health"), **HTMX)

    body = response.content.decode()
    assert response.context["is_stale"] is True
    assert response.context["abandoned"] == 1
    assert "超过 15 分钟没有完成的巡检" in body
    assert body.lstrip().startswith('<div id="sweep-health"')
    assert response.context["unnotified"] == 3  # nobody drained the outbox in this test
    assert timedelta(minutes=15) < timezone.now() - response.context["last_finished"].finished_at


def test_the_workspace_links_supervisors_to_the_monitoring_list_and_admins_to_sweep_health(
        client, supervisor_city, admin_city, handler_a):
    pages = {}
    for user in (supervisor_city, admin_city, handler_a):
        client.force_login(user)
        pages[user.username] = client.get(reverse("portal:workspace")).content.decode()

    monitoring, health = reverse("supervision:warnings"), reverse("supervision:sweep_health")
    assert monitoring in pages["supervisor_city"] and health not in pages["supervisor_city"]
    assert monitoring in pages["admin_city"] and health in pages["admin_city"]
    assert monitoring not in pages["handler_a"]


def test_monitoring_pages_read_in_english(client, lit, supervisor_city):
    client.force_login(supervisor_city)
    with at(2025, 10, 20, 9):
        response = client.get(reverse("supervision:warnings"), HTTP_ACCEPT_LANGUAGE="en")

    body = response.content.decode()
    assert "<h1>Time-limit monitoring</h1>" in body
    assert "at most 20% of the promised limit or 2 working days left" in body
    assert '<span class="badge badge-red">Red warning</span>' in body
