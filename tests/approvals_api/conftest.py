"""Department systems calling the lifecycle API: token clients for the approval personas.

pytest loads conftest files only from parent folders, so the approval personas (food_item,
handler_a, reviewer_a, approver_a, applicant_citizen…) are re-exported from their home.
"""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from portal.organisation.choices import Role
from tests.approvals.conftest import *  # noqa: F401,F403
from tests.factories import StaffFactory

APPLICATIONS = "/api/applications/"


def token_client(user=None) -> APIClient:
    """A system's client: "Authorization: Token …" for ``user``, or nothing for an anonymous caller."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def action_url(application_id: int, action: str) -> str:
    return f"{APPLICATIONS}{application_id}/{action}/"


def filing(item, **overrides) -> dict:
    """A complete filing for 张伟 with both required materials, submitted at once."""
    return {
        "item": item.published_version.implementation_code,
        "subject_type": "citizen",
        "applicant_name": "张伟",
        "identity_code": "11010519491231002X",
        "contact_phone": "13900001111",
        "materials": [{"position": 1, "state": "provided"}, {"position": 2, "state": "provided"}],
        "submit": True,
        **overrides,
    }


@pytest.fixture
def approver_district_b(bureau_b):
    return StaffFactory(username="approver_b", department=bureau_b, roles=[Role.APPROVER])


@pytest.fixture
def regulator_district_a(market_a):
    """Staff of district A without a personal-data role: sees cases, but codes masked."""
    return StaffFactory(username="regulator_a", department=market_a, roles=[Role.REGULATOR])
