"""Uploads' tests: a media folder of their own per test, and a second applicant."""

import pytest

from portal.organisation import services as organisation
from portal.organisation.choices import SubjectType, UserKind
from portal.organisation.models import User


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def applicant_citizen(db):
    user = User(username="zhangsan", full_name="张三", kind=UserKind.APPLICANT, subject_type=SubjectType.CITIZEN,
                identity_code="110101199003070019")
    return organisation.save_user(user, actor=None, password="pass-for-tests-2026")

