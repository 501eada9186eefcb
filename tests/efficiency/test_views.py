"""The staff screens and the dashboard data: permission matrix, scoping, bad input, query counts."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.audit.models import AuditEntry
from supervision.efficiency import rollups
from supervision.efficiency.models import Score, ScoringRun
from tests.approvals.conftest import at
from tests.efficiency.conftest import AS_OF, score_october

pytestmark = pytest.mark.django_db

OCTOBER_FILTER = {"start": "2025-10", "end": "2025-10"}


@pytest.fixture
def scored(rule, october, city, supervisor_city):
    """October scored over the city, and the rollups built, as of 3 November."""
    run = score_october(rule, city, supervisor_city)
    with at(*AS_OF):
        rollups.refresh_rollups()
    return run


def page_urls(run, score):
    return [
        reverse("efficiency:dashboard"),
        reverse("efficiency:runs"),
        reverse("efficiency:run", args=[run.pk]),
        reverse("efficiency:score", args=[score.pk]),
        reverse("efficiency:score_cases", args=[score.pk, "overdue"]),
        reverse("efficiency:rules"),
        reverse("efficiency:dashboard_export_xlsx"),
        reverse("efficiency:run_export_csv", args=[run.pk]),
    ]


def test_anonymous_visitors_are_sent_to_sign_in(client, scored, bureau_a):
    score = Score.objects.get(run=scored, subject_key=f"department:{bureau_a.pk}")

    for url in page_urls(scored, score):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize("persona", ["applicant_enterprise", "clerk_district_a", "outsider"])
def test_other_roles_are_refused(client, scored, bureau_a, persona, request):
    score = Score.objects.get(run=scored, subject_key=f"department:{bureau_a.pk}")
    client.force_login(request.getfixturevalue(persona))

    for url in page_urls(scored, score):
        assert client.get(url).status_code == 403, url
    data = client.get(reverse("efficiency:dashboard_data"))
    assert (data.status_code, data.json()["error"]["code"]) == (403, "permission_denied")


def test_a_supervisor_of_another_district_does_not_find_this_districts_scores(client, scored, bureau_a,
                                                                               supervisor_district_b):
    score = Score.objects.get(run=scored, subject_key=f"department:{bureau_a.pk}")
    client.force_login(supervisor_district_b)

    assert client.get(reverse("efficiency:score", args=[score.pk])).status_code == 404
    assert client.get(reverse("efficiency:score_cases", args=[score.pk, "overdue"])).status_code == 404
    ranking = client.get(reverse("efficiency:run", args=[scored.pk]))
    assert ranking.status_code == 200  # the city's run, seen from inside district B
    body = ranking.content.decode()
    assert "临湖区行政审批局" in body and "江城区行政审批局" not in body


def test_a_district_supervisor_sees_the_score_explained(client, scored, bureau_a, supervisor_district_a):
    score = Score.objects.get(run=scored, subject_key=f"department:{bureau_a.pk}")
    client.force_login(supervisor_district_a)

    response = client.get(reverse("efficiency:score", args=[score.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "68.88" in body and "2 / 2" in body  # points and rank among the city's two departments
    assert "提前办结件数 2" in body and "办结件数 4" in body and "9.38" in body
    assert reverse("efficiency:score_cases", args=[score.pk, "concluded_early"]) in body


def test_the_dashboard_data_is_scoped_to_the_viewers_district(client, scored, supervisor_district_a,
                                                             supervisor_city):
    client.force_login(supervisor_district_a)
    district = client.get(reverse("efficiency:dashboard_data"), OCTOBER_FILTER).json()
    client.force_login(supervisor_city)
    city = client.get(reverse("efficiency:dashboard_data"), OCTOBER_FILTER).json()

    assert [row["name"] for row in district["top_departments"]] == ["江城区行政审批局"]
    assert (district["totals"]["accepted"], district["totals"]["concluded"], district["totals"]["overdue"]) == (
        4, 4, 2)
    assert district["totals"]["early_rate"] == 0.5
    assert [row["name"] for row in city["top_departments"]] == ["江城区行政审批局", "临湖区行政审批局"]
    assert city["totals"]["accepted"] == 5
    assert city["channels"] == [
        {"channel": "online", "label": "网上申报", "accepted": 4, "received": 4},
        {"channel": "window", "label": "窗口受理", "accepted": 1, "received": 1},
        {"channel": "api", "label": "系统接口", "accepted": 0, "received": 0},
    ]
    assert city["early_ranking"] == [{"name": "临湖区行政审批局", "value": 1.0, "base": 1},
                                     {"name": "江城区行政审批局", "value": 0.5, "base": 4}]
    assert city["overdue_ranking"] == [{"name": "江城区行政审批局", "value": 2, "base": 4}]


def test_the_dashboard_refuses_filters_outside_the_viewers_scope_or_malformed(client, scored, district_b,
                                                                             supervisor_district_a):
    client.force_login(supervisor_district_a)

    other_district = client.get(reverse("efficiency:dashboard_data"), {"region": district_b.code})
    malformed = client.get(reverse("efficiency:dashboard_data"), {"start": "2025-13", "end": "2025-10"})
    backwards = client.get(reverse("efficiency:dashboard_data"), {"start": "2025-10", "end": "2025-01"})
    page = client.get(reverse("efficiency:dashboard"), {"start": "oops"})

    assert other_district.status_code == 400 and "region" in other_district.json()["error"]["fields"]
    assert malformed.json()["error"]["fields"] == {"start": ["请按“年-月”格式填写，例如 2026-01。"]}
    assert backwards.json()["error"]["fields"] == {"start": ["起始月份不能晚于截止月份。"]}
    assert page.status_code == 400 and "请按“年-月”格式填写" in page.content.decode()


def test_anonymous_dashboard_data_is_a_structured_401(client):
    response = client.get(reverse("efficiency:dashboard_data"))

    assert (response.status_code, response.json()) == (
        401, {"error": {"code": "not_authenticated", "message": "请先登录。"}})


def test_the_dashboard_page_is_light_and_points_at_its_data(client, scored, supervisor_city):
    client.force_login(supervisor_city)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("efficiency:dashboard"), OCTOBER_FILTER)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="chart-volume"' in body and "vendor/echarts/echarts.min.js" in body
    assert "start=2025-10&amp;end=2025-10" in body
    assert not any("approvals_application" in query["sql"] for query in queries.captured_queries)


def test_the_dashboard_data_reads_rollups_only_in_a_fixed_number_of_queries(client, scored, supervisor_city):
    client.force_login(supervisor_city)
    client.get(reverse("efficiency:dashboard_data"))  # warm the session and content types

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("efficiency:dashboard_data"), {"start": "2025-01", "end": "2025-12"})

    assert response.status_code == 200
    sql = [query["sql"] for query in queries.captured_queries]
    assert not any("approvals_" in statement for statement in sql), sql
    assert sum("efficiency_monthlyrollup" in statement for statement in sql) == 4
    assert len(sql) <= 12, "\n".join(sql)
    assert len(json.loads(response.content)["months"]) == 12


def test_a_supervisor_asks_for_a_period_to_be_scored(client, rule, city, supervisor_district_a, district_a):
    client.force_login(supervisor_district_a)

    with at(2025, 11, 3):
        response = client.post(reverse("efficiency:runs"), {
            "rule": rule.code, "region": district_a.code, "period_start": "2025-10-01",
            "period_end": "2025-10-15"})

    run = ScoringRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("efficiency:run", args=[run.pk])
    assert (run.kind, run.status, run.region, run.requested_by) == ("on_demand", "pending", district_a,
                                                                    supervisor_district_a)
    assert AuditEntry.objects.filter(event_type="efficiency.run.requested", target_id=str(run.pk)).exists()


@pytest.mark.parametrize("region_code, start, end, field, message", [
    ("B", "2025-10-01", "2025-10-31", "region", "选择一个有效的选项"),
    ("A", "2025-10-31", "2025-10-01", "period_end", "评估期止不能早于评估期起。"),
    ("A", "2024-01-01", "2025-10-31", "period_end", "评估期最长一年。"),
    ("A", "2025-12-01", "2025-12-31", "period_start", "评估期尚未开始。"),
    ("A", "2025-10-xx", "2025-10-31", "period_start", "输入一个有效的日期"),
])
def test_a_bad_scoring_request_is_refused_with_a_clear_message(client, rule, district_a, district_b,
                                                               supervisor_district_a, region_code, start, end,
                                                               field, message):
    client.force_login(supervisor_district_a)

    with at(2025, 11, 3):
        response = client.post(reverse("efficiency:runs"), {
            "rule": rule.code, "region": region_code, "period_start": start, "period_end": end})

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert ScoringRun.objects.count() == 0


def test_a_clerk_cannot_ask_for_a_scoring(client, rule, district_a, clerk_district_a):
    client.force_login(clerk_district_a)

    response = client.post(reverse("efficiency:runs"), {"rule": rule.code, "region": district_a.code,
                                                        "period_start": "2025-10-01", "period_end": "2025-10-31"})

    assert response.status_code == 403
    assert ScoringRun.objects.count() == 0


def test_the_ranking_page_lists_items_and_windows_too(client, scored, supervisor_city):
    client.force_login(supervisor_city)

    items = client.get(reverse("efficiency:run", args=[scored.pk]), {"kind": "item"}).content.decode()
    windows = client.get(reverse("efficiency:run", args=[scored.pk]), {"kind": "window"}).content.decode()
    unknown = client.get(reverse("efficiency:run", args=[scored.pk]), {"kind": "hall"})

    assert "公共场所卫生许可" in items and "83.75" in items
    assert "江城区行政审批局窗口" in windows and "35.63" in windows
    assert unknown.status_code == 404


def test_the_run_list_shows_the_city_run_to_a_district_supervisor(client, scored, supervisor_district_a):
    client.force_login(supervisor_district_a)

    body = client.get(reverse("efficiency:runs")).content.decode()

    assert reverse("efficiency:run", args=[scored.pk]) in body


def test_the_dashboard_speaks_english_too(client, scored, supervisor_city):
    client.force_login(supervisor_city)

    body = client.get(reverse("efficiency:dashboard"), OCTOBER_FILTER, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Government service efficiency analysis" in body and "Early-completion ranking" in body
    assert 'data-locale="EN"' in body


def test_list_pages_run_a_fixed_number_of_queries(client, scored, supervisor_city, bureau_a):
    score = Score.objects.get(run=scored, subject_key=f"department:{bureau_a.pk}")
    client.force_login(supervisor_city)
    pages = {
        "runs": reverse("efficiency:runs"),
        "ranking of items": reverse("efficiency:run", args=[scored.pk]) + "?kind=item",
        "four concluded cases": reverse("efficiency:score_cases", args=[score.pk, "concluded"]),
        "one case after a notice": reverse("efficiency:score_cases", args=[score.pk, "accepted_after_notice"]),
    }
    counts = {}
    for name, url in pages.items():
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[name] = len(queries.captured_queries)

    # However many rows a list shows, it costs the same statements (no query per row).
    assert counts["four concluded cases"] == counts["one case after a notice"], counts
    assert max(counts.values()) <= 14, counts
