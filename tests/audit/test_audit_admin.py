"""The admin shows the audit trail for reading and searching, and offers no way to change it."""

import pytest
from django.urls import reverse

from portal.audit.services import record_event, seal_audit_trail
from portal.organisation.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(User.objects.create_superuser("root", password="unused-password-1"))
    return client


def test_entries_are_searchable_by_event_type_chain_actor_and_target(superuser_client, admin_city):
    # given two entries
    record_event("catalogue.item.published", actor=admin_city, chain="catalogue.item:42")
    record_event("workdays.calendar.published", actor=None, data={"year": 2026})
    url = reverse("admin:audit_auditentry_changelist")
    # when searching, then only the matching entry is listed
    for query in ("catalogue.item.published", "catalogue.item:42", "admin_city"):
        response = superuser_client.get(url, {"q": query})
        assert response.status_code == 200
        assert [entry.event_type for entry in response.context["cl"].result_list] == [
            "catalogue.item.published"
        ]


def test_admin_offers_no_add_change_or_delete(superuser_client):
    entry = record_event("catalogue.item.published", actor=None, chain="catalogue.item:42")
    block = seal_audit_trail()
    for name, pk in (("auditentry", entry.pk), ("sealblock", block.pk)):
        assert superuser_client.get(reverse(f"admin:audit_{name}_add")).status_code == 403
        assert superuser_client.get(reverse(f"admin:audit_{name}_delete", args=[pk])).status_code == 403
        response = superuser_client.post(reverse(f"admin:audit_{name}_change", args=[pk]), {})
        assert response.status_code == 403
        detail = superuser_client.get(reverse(f"admin:audit_{name}_change", args=[pk]))
        assert detail.status_code == 200
        assert detail.context["has_change_permission"] is False
