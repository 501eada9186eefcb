"""Scoring arithmetic on the hand-built October (tests/efficiency/conftest.py), with known answers.

District A's bureau, October 2025, as of 3 November, default weights (early 20, on time 20,
overdue 15, satisfaction 20, compression 10, online 10, supplementary materials 5):

- accepted in October: A, B, C, D = 4; online A, B, D = 3; after a notice D = 1;
  limits promised 10+10+10+5 = 35 of statutory 4 × 20 = 80 → compression 1 − 35/80 = 0.5625
- concluded in October: A, B, C, E = 4; early A, E = 2; on time A, B, E = 3
- overdue (due in October, not concluded by then): C (late), D (open) = 2
- rated in October: A (5), B (2) → satisfied (≥ 基本满意) 1 of 2

shares: early 0.5, on time 0.75, overdue 1 − 2/10 = 0.8, satisfaction 0.5, compression
min(1, 0.5625/0.5) = 1, online min(1, 0.75/0.8) = 0.9375, supplement 1 − 0.25/0.5 = 0.5
points: 10 + 15 + 12 + 10 + 10 + 9.375 + 2.5 = 68.875 → 68.88
"""

from decimal import Decimal

import pytest

from supervision.efficiency.choices import RunStatus, SubjectKind
from supervision.efficiency.models import Score
from tests.efficiency.conftest import score_october

pytestmark = pytest.mark.django_db


def figures(score: Score) -> dict:
    return {name: getattr(score, name) for name in (
        "accepted", "online", "accepted_after_notice", "promised_days", "statutory_days", "concluded",
        "concluded_early", "concluded_on_time", "overdue", "ratings", "ratings_satisfied")}


def test_the_department_figures_and_points_of_the_hand_built_month(rule, october, city, supervisor_city, bureau_a):
    run = score_october(rule, city, supervisor_city)

    score = Score.objects.get(run=run, subject_key=f"department:{bureau_a.pk}")
    assert figures(score) == {
        "accepted": 4, "online": 3, "accepted_after_notice": 1, "promised_days": 35, "statutory_days": 80,
        "concluded": 4, "concluded_early": 2, "concluded_on_time": 3, "overdue": 2, "ratings": 2,
        "ratings_satisfied": 1,
    }
    assert score.points == Decimal("68.88")
    assert {entry["indicator"]: (entry["value"], entry["share"], entry["points"]) for entry in score.breakdown} == {
        "early_completion": ("0.5000", "0.5000", "10.00"),
        "on_time": ("0.7500", "0.7500", "15.00"),
        "overdue": ("2", "0.8000", "12.00"),
        "satisfaction": ("0.5000", "0.5000", "10.00"),
        "compression": ("0.5625", "1.0000", "10.00"),
        "online": ("0.7500", "0.9375", "9.38"),
        "supplement": ("0.2500", "0.5000", "2.50"),
    }
    assert (run.status, run.as_of.isoformat(), score.rule_version_id) == (
        RunStatus.DONE, "2025-11-03", rule.versions.get().pk)


def test_departments_are_ranked_within_the_run(rule, october, city, supervisor_city, bureau_a, bureau_b):
    # District B's bureau: G only — accepted online, concluded early, no rating: every share 1.
    run = score_october(rule, city, supervisor_city)

    ranking = list(Score.objects.filter(run=run, subject_kind=SubjectKind.DEPARTMENT).order_by("rank")
                   .values_list("subject_name", "points", "rank"))
    assert ranking == [("临湖区行政审批局", Decimal("100.00"), 1), ("江城区行政审批局", Decimal("68.88"), 2)]


def test_items_are_scored_with_the_weights_of_what_applies(rule, october, city, supervisor_city, item_x, item_y):
    run = score_october(rule, city, supervisor_city)

    x = Score.objects.get(run=run, subject_key=f"item:{item_x.pk}")
    y = Score.objects.get(run=run, subject_key=f"item:{item_y.pk}")
    # X: A, B, C accepted (2 online), A, B, C, E concluded (2 early, 3 on time), C overdue, 2 ratings:
    # 10 + 15 + 13.5 + 10 + 10 + 20/3·… (online 2/3 ÷ 0.8 = 0.8333 → 8.33) + 5 = 71.83
    assert (x.accepted, x.online, x.concluded, x.concluded_early, x.overdue, x.points) == (
        3, 2, 4, 2, 1, Decimal("71.83"))
    # Y: only D — accepted after a notice, overdue, nothing concluded or rated: early, on time and
    # satisfaction do not apply; 100 × (15 × 0.9 + 10 × 1 + 10 × 1 + 5 × 0) / 40 = 83.75
    assert (y.accepted, y.accepted_after_notice, y.concluded, y.overdue, y.points) == (1, 1, 0, 1, Decimal("83.75"))
    applies = {entry["indicator"]: entry["applies"] for entry in y.breakdown}
    assert applies == {"early_completion": False, "on_time": False, "overdue": True, "satisfaction": False,
                       "compression": True, "online": True, "supplement": True}


def test_a_window_is_scored_on_the_cases_taken_in_at_the_department_windows(rule, october, city, supervisor_city,
                                                                             bureau_a, bureau_b):
    run = score_october(rule, city, supervisor_city)

    windows = Score.objects.filter(run=run, subject_kind=SubjectKind.WINDOW)
    # Only C came through a window: concluded late (overdue), no rating, not online, no notice:
    # 100 × (20·0 + 20·0 + 15·0.9 + 10·1 + 10·0 + 5·1) / 80 = 35.625 → 35.63
    assert [(w.subject_key, w.subject_name, w.accepted, w.concluded, w.overdue, w.points) for w in windows] == [
        (f"window:{bureau_a.pk}", "江城区行政审批局窗口", 1, 1, 1, Decimal("35.63"))]


def test_a_district_run_scores_only_the_district(rule, october, district_a, supervisor_district_a, bureau_a):
    run = score_october(rule, district_a, supervisor_district_a)

    assert set(Score.objects.filter(run=run).values_list("department_id", flat=True)) == {bureau_a.pk}
    assert Score.objects.get(run=run, subject_kind=SubjectKind.DEPARTMENT).points == Decimal("68.88")


def test_points_add_up_to_the_score_and_nothing_weighted_means_no_score(rule):
    from supervision.efficiency import formula

    version = rule.versions.get()
    empty = dict.fromkeys(("accepted", "online", "accepted_after_notice", "promised_days", "statutory_days",
                           "concluded", "concluded_early", "concluded_on_time", "overdue", "ratings",
                           "ratings_satisfied"), 0)
    assert formula.score(empty, version) == (None, formula.score(empty, version)[1])
    only_ratings = {**empty, "ratings": 3, "ratings_satisfied": 2}
    points, breakdown = formula.score(only_ratings, version)
    assert points == Decimal("66.67")  # satisfaction alone applies: 2/3
    assert sum(Decimal(entry["points"]) for entry in breakdown) == points
    assert formula.competition_ranks([Decimal(90), Decimal(95), Decimal(90), Decimal(80)]) == [2, 1, 2, 4]
