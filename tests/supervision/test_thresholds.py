"""Item thresholds: admins set them through the service (and the admin), and the sweep applies them."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from portal.audit.services import entries_for
from supervision import services
from supervision.models import TimeLimitWarning, WarningThreshold
from supervision.thresholds import Threshold
from tests.approvals.conftest import at
from tests.supervision.conftest import accepted

pytestmark = pytest.mark.django_db
D = date


@pytest.mark.parametrize(("limit", "yellow_days"), [(20, 4), (12, 2), (10, 2), (30, 6), (1, 2), (0, 2)])
def test_default_threshold_is_the_larger_of_20_percent_and_two_days(limit, yellow_days):
    assert Threshold().yellow_days(limit) == yellow_days


def test_an_items_threshold_makes_its_cases_yellow_earlier(item_20, applicant_citizen, clerk_district_a,
                                                           admin_district_a):
    application = accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))
    threshold = services.save_warning_threshold(item_20, yellow_percent=50, yellow_days=2, actor=admin_district_a)

    with at(2025, 10, 10):  # 11 left
        services.sweep_time_limits()
    with at(2025, 10, 11):  # Saturday, worked (调休): 10 left of 20, half the limit
        services.sweep_time_limits()

    warning = TimeLimitWarning.objects.get(application=application)
    assert (warning.colour, warning.remaining_working_days, warning.crossed_on) == ("yellow", 10, D(2025, 10, 11))
    assert threshold.threshold == Threshold(50, 2)
    assert entries_for(threshold).get().changes == {"item": [None, item_20.pk], "yellow_percent": [None, 50],
                                                    "yellow_days": [None, 2]}


def test_lowering_a_threshold_clears_the_yellow_it_no_longer_justifies(item_20, applicant_citizen,
                                                                        clerk_district_a, admin_district_a):
    accepted(item_20, applicant_citizen, clerk_district_a, D(2025, 9, 22))
    with at(2025, 10, 20):
        services.sweep_time_limits()  # 4 left: yellow by default

    services.save_warning_threshold(item_20, yellow_percent=0, yellow_days=1, actor=admin_district_a)
    with at(2025, 10, 20, 12):
        run = services.sweep_time_limits()

    assert run.cleared == 1
    assert not TimeLimitWarning.objects.current().exists()


def test_threshold_changes_are_refused_outside_the_admins_region_and_out_of_range(
        item_20, item_b_10, admin_district_a, clerk_district_a):
    with pytest.raises(PermissionDenied):
        services.save_warning_threshold(item_b_10, yellow_percent=30, yellow_days=2, actor=admin_district_a)
    with pytest.raises(PermissionDenied):
        services.save_warning_threshold(item_20, yellow_percent=30, yellow_days=2, actor=clerk_district_a)
    with pytest.raises(ValidationError) as error:
        services.save_warning_threshold(item_20, yellow_percent=120, yellow_days=40, actor=admin_district_a)

    assert error.value.message_dict == {"yellow_percent": ["黄牌预警比例应在 0 至 100 之间。"],
                                        "yellow_days": ["黄牌预警天数应在 0 至 30 个工作日之间。"]}
    assert not WarningThreshold.objects.exists()


def test_deleting_a_threshold_returns_the_item_to_the_default_and_is_audited(item_20, admin_district_a):
    threshold = services.save_warning_threshold(item_20, yellow_percent=30, yellow_days=3, actor=admin_district_a)

    services.delete_warning_threshold(threshold, actor=admin_district_a)

    assert not WarningThreshold.objects.exists()
    assert [entry.event_type for entry in entries_for(item_20) if entry.event_type.startswith("supervision.")] == [
        "supervision.threshold.deleted"]


def test_admin_saves_a_threshold_through_the_service(client, item_20, admin_district_a):
    client.force_login(admin_district_a)

    response = client.post(reverse("admin:supervision_warningthreshold_add"),
                           {"item": item_20.pk, "yellow_percent": 25, "yellow_days": 3})

    assert response.status_code == 302
    threshold = WarningThreshold.objects.get()
    assert (threshold.item, threshold.yellow_percent, threshold.yellow_days) == (item_20, 25, 3)
    assert entries_for(threshold).get().actor_username == admin_district_a.username


def test_admin_lists_only_thresholds_in_the_admins_region(client, item_20, item_b_10, admin_district_a,
                                                          admin_city):
    services.save_warning_threshold(item_20, yellow_percent=25, yellow_days=3, actor=admin_city)
    other = services.save_warning_threshold(item_b_10, yellow_percent=25, yellow_days=3, actor=admin_city)
    client.force_login(admin_district_a)

    listing = client.get(reverse("admin:supervision_warningthreshold_changelist"))
    foreign = client.get(reverse("admin:supervision_warningthreshold_change", args=[other.pk]))

    assert listing.status_code == 200
    assert item_20.name in listing.content.decode() and item_b_10.name not in listing.content.decode()
    assert foreign.status_code == 302  # the admin's "does not exist" redirect, as for any out-of-scope object
