"""Fixtures of the notification tests: people with addresses, a clean SMS log, nudges off the broker."""

import pytest

from portal.notifications.sms import LoggingSmsBackend
from portal.organisation import services as organisation
from portal.organisation.choices import SubjectType, UserKind
from portal.organisation.models import User


@pytest.fixture(autouse=True)
def nudges_kept_off_the_broker(drain_nudges):
    return drain_nudges


@pytest.fixture(autouse=True)
def sms_log():
    LoggingSmsBackend.clear()
    yield LoggingSmsBackend
    LoggingSmsBackend.clear()


def _applicant(username: str, full_name: str, **fields) -> User:
    user = User(username=username, full_name=full_name, kind=UserKind.APPLICANT, subject_type=SubjectType.CITIZEN,
                **fields)
    return organisation.save_user(user, actor=None, password="pass-for-tests-2026")


@pytest.fixture
def applicant_citizen(db):
    return _applicant("citizen_zhang", "张三丰", email="zhang@example.cn", phone="13812345678")


@pytest.fixture
def applicant_without_contacts(db):
    return _applicant("citizen_li", "李四")


@pytest.fixture
def other_citizen(db):
    return _applicant("citizen_wang", "王五", email="wang@example.cn", phone="13900001111")
