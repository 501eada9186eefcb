"""Personal data is masked in the admin; a full view is a POST that the audit trail records."""

import pytest
from django.urls import reverse

from portal.audit.models import AuditEntry
from portal.organisation.choices import Role
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_with_phone(bureau_city):
    return StaffFactory(username="wangli", full_name="王丽", phone="13812345678", department=bureau_city,
                        identity_code="11010519491231002X", roles=[Role.WINDOW_CLERK])


def test_change_form_shows_masked_values_only(client, admin_city, staff_with_phone):
    client.force_login(admin_city)

    body = client.get(reverse("admin:organisation_user_change", args=[staff_with_phone.pk])).content.decode()

    assert "138****5678" in body
    assert "1101**********002X" in body
    assert "13812345678" not in body
    assert "11010519491231002X" not in body


def test_reveal_shows_the_full_value_and_is_audited(client, admin_city, staff_with_phone):
    client.force_login(admin_city)

    response = client.post(reverse("admin:organisation_user_reveal", args=[staff_with_phone.pk, "phone"]))

    assert response.status_code == 200
    assert "13812345678" in response.content.decode()
    entry = AuditEntry.objects.filter(event_type="personal_data.revealed").get()
    assert (entry.actor_username, entry.data["field"]) == ("admin_city", "phone")


def test_reveal_by_get_is_refused(client, admin_city, staff_with_phone):
    client.force_login(admin_city)

    response = client.get(reverse("admin:organisation_user_reveal", args=[staff_with_phone.pk, "phone"]))

    assert response.status_code == 405
    assert not AuditEntry.objects.filter(event_type="personal_data.revealed").exists()


def test_reveal_of_a_user_outside_the_scope_is_404(client, admin_district_a, staff_with_phone):
    client.force_login(admin_district_a)

    response = client.post(reverse("admin:organisation_user_reveal", args=[staff_with_phone.pk, "phone"]))

    assert response.status_code == 404
    assert not AuditEntry.objects.filter(event_type="personal_data.revealed").exists()


def test_personal_fields_are_encrypted_in_the_audit_trail(staff_with_phone):
    entry = AuditEntry.objects.filter(event_type="organisation.user.created", target_id=str(staff_with_phone.pk)).get()

    assert "13812345678" not in str(entry.changes)
    assert set(entry.personal_fields) >= {"phone", "identity_code", "full_name"}
