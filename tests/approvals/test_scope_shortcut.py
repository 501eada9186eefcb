"""The in-memory scope shortcut used by the guarded transition agrees with the SQL scope."""

import pytest
from guardian.shortcuts import assign_perm

from approvals.models import Application
from portal.organisation.choices import Role
from portal.scoping import CHANGE, VIEW, within_scope
from tests.approvals.conftest import file_online
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_within_scope_agrees_with_restrict_for_every_person_and_action(
    food_item, applicant_citizen, bureau_a, market_a, bureau_b, bureau_city, clerk_district_a, clerk_district_b,
    supervisor_city, supervisor_district_a, admin_district_a, outsider,
):
    application = file_online(food_item, applicant_citizen)
    colleague_elsewhere = StaffFactory(username="market_a_handler", department=market_a, roles=[Role.HANDLER])
    granted = StaffFactory(username="granted_b", department=bureau_b, roles=[Role.HANDLER])
    assign_perm("view_application", granted, application)
    people = [clerk_district_a, clerk_district_b, supervisor_city, supervisor_district_a, admin_district_a,
              outsider, applicant_citizen, colleague_elsewhere, granted]
    seen = {}
    for person in people:
        for action in (VIEW, CHANGE):
            expected = Application.objects.restrict(person, action).filter(pk=application.pk).exists()
            assert within_scope(person, application, action) is expected, (person.username, action)
            seen[(person.username, action)] = expected
    # The matrix is not trivial: it holds both answers, and the grant counts only for viewing.
    assert seen[("clerk_a", VIEW)] and seen[("clerk_a", CHANGE)]
    assert not seen[("clerk_b", VIEW)]
    assert seen[("market_a_handler", VIEW)] and not seen[("market_a_handler", CHANGE)]
    assert seen[("granted_b", VIEW)] and not seen[("granted_b", CHANGE)]


def test_a_row_held_by_a_unit_is_read_again_after_its_savepoint_rolled_back(food_item, applicant_citizen):
    from django.db import transaction

    from approvals import services
    from approvals.choices import ApplicationStatus
    from portal.transactions import unit

    with unit():
        application = services.start_application(
            food_item.published_version, actor=applicant_citizen, subject_type=applicant_citizen.subject_type,
            applicant_name=applicant_citizen.full_name, identity_code=applicant_citizen.identity_code,
            contact_phone="13900001111", provided=(1, 2),
        )
        # a submission inside an inner block that fails after it: the row goes back to draft
        with pytest.raises(RuntimeError), transaction.atomic():
            services.submit_application(application, actor=applicant_citizen)
            raise RuntimeError("the inner step fails")
        assert application.status == ApplicationStatus.SUBMITTED  # what the object still says
        # the next move reads the row again rather than trust the object, and succeeds
        submitted = services.submit_application(application, actor=applicant_citizen)
    assert submitted.status == ApplicationStatus.SUBMITTED
    assert Application.objects.get(pk=application.pk).receipt_number == submitted.receipt_number
