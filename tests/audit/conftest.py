"""Fixtures for the audit trail's tests: keys and seals in a temporary folder, and people."""

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Group

from portal.organisation.choices import Role, SubjectType, UserKind
from portal.organisation.models import User


@pytest.fixture(autouse=True)
def audit_keys(settings, tmp_path):
    """Seal files and keys of each test live in its own folder, never in var/."""
    settings.AUDIT_SEAL_DIR = tmp_path / "audit-seals"
    settings.AUDIT_SIGNING_KEY_FILE = tmp_path / "keys" / "audit-seal-ed25519.pem"
    settings.AUDIT_ENCRYPTION_KEY = Fernet.generate_key().decode("ascii")
    settings.VAR_DIR = tmp_path
    return tmp_path


def _person(username: str, *roles: str, **fields) -> User:
    user = User.objects.create(username=username, **fields)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def admin_city(db):
    return _person("admin_city", Role.ADMIN, full_name="李管理")


@pytest.fixture
def clerk_district_a(db):
    return _person("clerk_district_a", Role.WINDOW_CLERK, full_name="王窗口", phone="13700001111")


@pytest.fixture
def regulator_district_a(db):
    return _person("regulator_district_a", Role.REGULATOR, full_name="赵监管")


@pytest.fixture
def applicant_citizen(db):
    return _person(
        "applicant_citizen",
        kind=UserKind.APPLICANT,
        subject_type=SubjectType.CITIZEN,
        full_name="张三丰",
        phone="13812345678",
        identity_code="110101199003070019",
    )
