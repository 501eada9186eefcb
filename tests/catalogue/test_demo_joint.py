"""The demo catalogue's joint items carry their participating departments, and the demo's
participating staff find their sub-case after the city window accepts a case."""

import pytest

from approvals import services
from approvals.models import SubCase
from portal.catalogue.models import ItemVersion
from portal.demo import load_demo
from portal.organisation.models import User
from tests.approvals.conftest import at

pytestmark = pytest.mark.django_db


def test_demo_joint_items_are_published_with_participants_and_sub_cases_reach_demo_staff():
    load_demo()

    joint = ItemVersion.objects.current().filter(handling_class="joint")
    assert joint.count() == 5
    assert all(version.content["participating_departments"] for version in joint)
    version = joint.get(implementation_code="000133012000-JZ-01")  # 企业开办“一件事”
    assert [(p["department_code"], p["promised_limit"]) for p in version.content["participating_departments"]] == [
        ("JZ-SCJ", 1), ("JZ-GAJ", 1)]

    clerk = User.objects.get(username="clerk_city")
    enterprise = User.objects.get(username="enterprise_hongxin")
    with at(2026, 1, 5):
        application = services.start_application(
            version, actor=clerk, applicant=enterprise, subject_type="enterprise",
            applicant_name=enterprise.full_name, identity_code=enterprise.identity_code,
            contact_phone="13900000000", channel="window")
        for material in application.materials.filter(required=True):
            services.record_material(application, material.position, actor=clerk, state="provided")
        services.submit_application(application, actor=clerk)
        services.accept_application(application, actor=clerk)

    for username in ("handler_scj", "handler_gaj"):
        user = User.objects.get(username=username)
        assert SubCase.objects.restrict(user).filter(application=application, department=user.department).count() == 1
