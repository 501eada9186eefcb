"""Every counted figure of a score opens as exactly the cases that made it."""

import pytest
from django.urls import reverse

from approvals import services as approvals
from supervision.efficiency.choices import Figure, SubjectKind
from supervision.efficiency.models import Score
from supervision.efficiency.views import figure_cases
from tests.approvals.conftest import at
from tests.efficiency.conftest import score_october

pytestmark = pytest.mark.django_db


def ids(cases, *names) -> set[int]:
    return {cases[name].pk for name in names}


def test_each_figure_of_a_department_lists_exactly_its_cases(rule, october, city, supervisor_city, bureau_a):
    run = score_october(rule, city, supervisor_city)
    score = Score.objects.get(run=run, subject_key=f"department:{bureau_a.pk}")
    expected = {
        Figure.ACCEPTED: ids(october, "A", "B", "C", "D"),
        Figure.ONLINE: ids(october, "A", "B", "D"),
        Figure.ACCEPTED_AFTER_NOTICE: ids(october, "D"),
        Figure.CONCLUDED: ids(october, "A", "B", "C", "E"),
        Figure.CONCLUDED_EARLY: ids(october, "A", "E"),
        Figure.CONCLUDED_ON_TIME: ids(october, "A", "B", "E"),
        Figure.OVERDUE: ids(october, "C", "D"),
        Figure.RATINGS: ids(october, "A", "B"),
        Figure.RATINGS_SATISFIED: ids(october, "A"),
    }

    for figure, cases in expected.items():
        listed = set(figure_cases(score, figure, supervisor_city).values_list("pk", flat=True))
        assert listed == cases, figure
        assert len(listed) == getattr(score, figure), figure


def test_an_item_and_a_window_list_their_own_cases(rule, october, city, supervisor_city, item_y, bureau_a):
    run = score_october(rule, city, supervisor_city)
    item = Score.objects.get(run=run, subject_key=f"item:{item_y.pk}")
    window = Score.objects.get(run=run, subject_kind=SubjectKind.WINDOW)

    assert set(figure_cases(item, Figure.OVERDUE, supervisor_city).values_list("pk", flat=True)) == ids(october, "D")
    assert set(figure_cases(window, Figure.CONCLUDED, supervisor_city).values_list("pk", flat=True)) == ids(
        october, "C")


def test_the_drill_down_page_says_why_each_case_counts(client, rule, october, city, supervisor_city, bureau_a):
    run = score_october(rule, city, supervisor_city)
    score = Score.objects.get(run=run, subject_key=f"department:{bureau_a.pk}")
    client.force_login(supervisor_city)

    response = client.get(reverse("efficiency:score_cases", args=[score.pk, Figure.OVERDUE]))

    body = response.content.decode()
    assert response.status_code == 200
    assert october["C"].receipt_number in body and october["D"].receipt_number in body
    assert october["A"].receipt_number not in body
    assert "承诺办结日 2025-10-22，2025-10-27 才办结（超期 3 个工作日）" in body
    assert "承诺办结日 2025-10-20 已过，截至 2025-11-03 仍未办结" in body
    early = client.get(reverse("efficiency:score_cases", args=[score.pk, Figure.CONCLUDED_EARLY])).content.decode()
    assert "2025-10-09 办结，早于承诺办结日 2025-10-11（提前 2 个工作日）" in early  # E: 10-10 and Sat 10-11


def test_a_later_change_is_shown_beside_the_figure_of_the_time(client, rule, october, city, supervisor_city,
                                                                 bureau_a, applicant_citizen):
    run = score_october(rule, city, supervisor_city)
    score = Score.objects.get(run=run, subject_key=f"department:{bureau_a.pk}")
    with at(2025, 11, 4):  # D, overdue in October, is withdrawn afterwards
        approvals.withdraw_application(october["D"], actor=applicant_citizen, reason="不再需要")
    client.force_login(supervisor_city)

    body = client.get(reverse("efficiency:score_cases", args=[score.pk, Figure.OVERDUE])).content.decode()

    assert "按当前数据复算为 1 件，评分时为 2 件" in body
    score.refresh_from_db()
    assert score.overdue == 2  # the score itself never changes


def test_an_unknown_figure_is_not_found(client, rule, october, city, supervisor_city, bureau_a):
    run = score_october(rule, city, supervisor_city)
    score = Score.objects.get(run=run, subject_key=f"department:{bureau_a.pk}")
    client.force_login(supervisor_city)

    assert client.get(reverse("efficiency:score_cases", args=[score.pk, "salary"])).status_code == 404
