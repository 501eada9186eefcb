"""The licence after issue: change, renewal (art. 50), cancellation, status moves, reminders."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from approvals import services
from approvals.choices import LicenceStatus
from approvals.models import Licence, RenewalReminder, Sequence
from approvals.transitions import TransitionRefused
from portal.notifications.models import Notification
from tests.approvals.conftest import at, file_online

pytestmark = pytest.mark.django_db


def run_chain(application, clerk, handler, reviewer, approver, outcome="approve"):
    for actor in (handler, reviewer):
        services.claim_application(application, actor=actor)
        services.complete_step(application, actor=actor, opinion="同意")
    services.claim_application(application, actor=approver)
    services.decide(application, actor=approver, outcome=outcome, reasons="" if outcome == "approve" else "不符合")
    return services.conclude_application(application, actor=clerk, served_method="in_person")


@pytest.fixture
def people(clerk_district_a, handler_a, reviewer_a, approver_a):
    return clerk_district_a, handler_a, reviewer_a, approver_a


@pytest.fixture
def licence(food_item, applicant_citizen, people):
    with at(2025, 9, 22):
        application = services.accept_application(file_online(food_item, applicant_citizen), actor=people[0])
        run_chain(application, *people)
    return Licence.objects.get(application=application)


def test_a_licence_is_valid_for_five_years(licence):
    assert (licence.valid_from, licence.valid_until) == (date(2025, 9, 22), date(2030, 9, 21))


def issue_new_licence(item, applicant, people) -> Licence:
    application = services.accept_application(file_online(item, applicant), actor=people[0])
    run_chain(application, *people)
    return Licence.objects.get(application=application)


def test_licence_numbers_count_per_issuing_organ_and_beijing_year(licence, food_item, applicant_citizen, people,
                                                                  bureau_b):
    with at(2025, 12, 30):
        application = services.accept_application(file_online(food_item, applicant_citizen), actor=people[0])
        for actor in people[1:3]:
            services.claim_application(application, actor=actor)
            services.complete_step(application, actor=actor, opinion="同意")
        services.claim_application(application, actor=people[3])
        services.decide(application, actor=people[3], outcome="approve")
    with at(2025, 12, 31, 23, 50):
        second = issue_new_licence(food_item, applicant_citizen, people)
    # 00:30 in Beijing on New Year's Day is still 31 December in UTC: the Beijing year counts
    with at(2026, 1, 1, 0, 30):
        services.conclude_application(application, actor=people[0], served_method="in_person")

    assert (licence.number, second.number, Licence.objects.get(application=application).number) == (
        "A-SPJ-2025-000001", "A-SPJ-2025-000002", "A-SPJ-2026-000001")
    # another organ counts on its own
    assert services.next_licence_number(bureau_b, date(2025, 12, 31)) == "B-SPJ-2025-000001"
    assert dict(Sequence.objects.filter(name__startswith="licence:").values_list("name", "last")) == {
        "licence:A-SPJ:2025": 2, "licence:A-SPJ:2026": 1, "licence:B-SPJ:2025": 1}


def test_licences_issued_before_the_scheme_keep_their_numbers(food_item, applicant_citizen, people):
    earlier = Licence.objects.create(
        number="0000012025092200001", item_version=food_item.published_version, licence_name="食品经营许可",
        holder_name="张伟", holder_code="11010519491231002X", department=food_item.department,
        region_path=food_item.published_version.region_path, issued_on=date(2025, 9, 22),
        valid_from=date(2025, 9, 22))

    with at(2025, 9, 23):
        issued = issue_new_licence(food_item, applicant_citizen, people)

    earlier.refresh_from_db()
    assert (earlier.number, issued.number) == ("0000012025092200001", "A-SPJ-2025-000001")


def test_renewal_extends_the_validity(licence, applicant_citizen, people):
    with at(2030, 7, 1):
        renewal = services.start_licence_application(licence, kind="renewal", actor=applicant_citizen,
                                                     contact_phone="13900001111")
        services.record_material(renewal, 1, actor=applicant_citizen, state="provided")
        services.record_material(renewal, 2, actor=applicant_citizen, state="provided")
        renewal = services.accept_application(services.submit_application(renewal, actor=applicant_citizen),
                                              actor=people[0])
        run_chain(renewal, *people)

    licence.refresh_from_db()
    assert licence.valid_until == date(2035, 9, 21)
    assert licence.status == LicenceStatus.VALID
    # the renewed licence is the same licence: same number, no new one counted
    assert licence.number == "A-SPJ-2025-000001"
    assert not Sequence.objects.filter(name="licence:A-SPJ:2030").exists()


def test_renewal_within_thirty_days_of_expiry_is_refused(licence, applicant_citizen):
    with at(2030, 9, 1), pytest.raises(ValidationError, match="三十日前"):
        services.start_licence_application(licence, kind="renewal", actor=applicant_citizen,
                                           contact_phone="13900001111")


def test_only_the_holder_may_apply(licence, db):
    from portal.organisation import services as organisation
    from portal.organisation.models import User

    stranger = organisation.save_user(User(username="li", kind="applicant", subject_type="citizen",
                                           identity_code="110101199003070019", full_name="李四"), actor=None)
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.start_licence_application(licence, kind="cancellation", actor=stranger, contact_phone="139")


def test_cancellation_cancels_the_licence(licence, applicant_citizen, people):
    with at(2026, 1, 5):
        cancellation = services.start_licence_application(licence, kind="cancellation", actor=applicant_citizen,
                                                          contact_phone="13900001111")
        for position in (1, 2):
            services.record_material(cancellation, position, actor=applicant_citizen, state="provided")
        cancellation = services.accept_application(
            services.submit_application(cancellation, actor=applicant_citizen), actor=people[0])
        run_chain(cancellation, *people)

    licence.refresh_from_db()
    assert licence.status == LicenceStatus.CANCELLED


def test_status_moves_are_guarded(licence, admin_district_a):
    services.set_licence_status(licence, LicenceStatus.SUSPENDED, actor=admin_district_a, reason="监管部门责令停业整顿")

    with pytest.raises(TransitionRefused, match="不能改为"):
        services.set_licence_status(licence, LicenceStatus.EXPIRED, actor=admin_district_a, reason="x")
    assert Licence.objects.get(pk=licence.pk).status == LicenceStatus.SUSPENDED


def test_renewal_reminders_are_sent_once_per_stage_and_lapsed_licences_expire(licence):
    assert services.licence_sweep(on=date(2030, 7, 1)) == {"reminded": 0, "expired": 0}
    assert services.licence_sweep(on=date(2030, 7, 24)) == {"reminded": 1, "expired": 0}  # 59 days before
    assert services.licence_sweep(on=date(2030, 7, 25)) == {"reminded": 0, "expired": 0}
    assert services.licence_sweep(on=date(2030, 8, 13)) == {"reminded": 1, "expired": 0}  # 39 days before
    assert services.licence_sweep(on=date(2030, 9, 22)) == {"reminded": 0, "expired": 1}

    assert list(RenewalReminder.objects.order_by("days_before").values_list("days_before", flat=True)) == [40, 60]
    assert Notification.objects.filter(subject="证照即将到期，请及时申请延续").count() == 2
    licence.refresh_from_db()
    assert licence.status == LicenceStatus.EXPIRED
