"""Personal data: masked on screen, encrypted in the trail, and every reading of it recorded."""

import json

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.template import Context, Template

from portal.audit import keys
from portal.audit.masking import mask_identity_code, mask_name, mask_phone
from portal.audit.models import AuditEntry
from portal.audit.services import read_personal_changes, record_change, reveal_personal_data, snapshot


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("110101199003070019", "1101**********0019"),
        ("11010119900307001X", "1101**********001X"),
        ("110101900307001", "110*********001"),
        ("12345678", "12****78"),
        ("1234", "1**4"),
        ("123", "***"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_identity_code(value, masked):
    assert mask_identity_code(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("13812345678", "138****5678"), ("87654321", "87***321"), ("1234", "****"), ("", "")],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize(("value", "masked"), [("张三丰", "张**"), ("张三", "张*"), ("张", "*"), ("", "")])
def test_mask_name(value, masked):
    assert mask_name(value) == masked


def test_template_filters_mask():
    template = Template(
        "{% load masking %}{{ code|mask_id }} {{ phone|mask_phone }} {{ name|mask_name }} [{{ none|mask_phone }}]"
    )
    rendered = template.render(
        Context({"code": "110101199003070019", "phone": "13812345678", "name": "张三丰", "none": None})
    )
    assert rendered == "1101**********0019 138****5678 张** []"


@pytest.mark.django_db
def test_personal_fields_are_stored_encrypted(admin_city, applicant_citizen):
    # given an applicant whose phone changes
    before = snapshot(applicant_citizen, ["phone", "kind"])
    applicant_citizen.phone = "13900000000"
    applicant_citizen.kind = "staff"
    applicant_citizen.save()
    # when the change is recorded with the phone as personal data
    entry = record_change(
        applicant_citizen,
        actor=admin_city,
        event_type="organisation.user.updated",
        before=before,
        fields=["phone", "kind"],
        personal_fields=["phone", "identity_code"],
    )
    # then the stored row holds no plain phone number, and the target's name is masked
    stored = AuditEntry.objects.get(pk=entry.pk)
    raw = json.dumps(stored.changes, ensure_ascii=False)
    assert "13812345678" not in raw and "13900000000" not in raw
    assert stored.personal_fields == ["phone"]
    assert stored.changes["kind"] == ["applicant", "staff"]
    assert [json.loads(keys.fernet().decrypt(token.encode())) for token in stored.changes["phone"]] == [
        "13812345678",
        "13900000000",
    ]
    assert stored.target_repr == "张**"
    assert stored.compute_hash() == stored.entry_hash


@pytest.mark.django_db
def test_reading_personal_changes_is_itself_recorded(admin_city, clerk_district_a, applicant_citizen):
    # given an entry with an encrypted phone change
    before = snapshot(applicant_citizen, ["phone"])
    applicant_citizen.phone = "13900000000"
    applicant_citizen.save()
    entry = record_change(
        applicant_citizen,
        actor=admin_city,
        event_type="organisation.user.updated",
        before=before,
        fields=["phone"],
        personal_fields=["phone"],
    )
    # when a clerk reads it
    changes = read_personal_changes(entry, actor=clerk_district_a, reason="核对申请人联系方式")
    # then the values come back in clear and the reading is on the same chain
    assert changes == {"phone": ["13812345678", "13900000000"]}
    reading = AuditEntry.objects.get(event_type="audit.personal_changes.read")
    assert reading.chain == entry.chain
    assert reading.seq == entry.seq + 1
    assert reading.actor_username == "clerk_district_a"
    assert reading.data == {"entry_id": entry.pk, "fields": ["phone"], "reason": "核对申请人联系方式"}


@pytest.mark.django_db
def test_reading_personal_changes_needs_a_permitted_role(regulator_district_a, applicant_citizen):
    entry = record_change(
        applicant_citizen,
        actor=None,
        event_type="organisation.user.created",
        before=None,
        fields=["phone"],
        personal_fields=["phone"],
    )
    with pytest.raises(PermissionDenied):
        read_personal_changes(entry, actor=regulator_district_a)
    assert not AuditEntry.objects.filter(event_type="audit.personal_changes.read").exists()


@pytest.mark.django_db
def test_reveal_personal_data_returns_the_value_and_records_it(clerk_district_a, applicant_citizen):
    # when
    value = reveal_personal_data(
        applicant_citizen, "identity_code", actor=clerk_district_a, reason="现场核验身份"
    )
    # then
    assert value == "110101199003070019"
    entry = AuditEntry.objects.get()
    assert entry.event_type == "personal_data.revealed"
    assert (entry.target_type, entry.target_id) == ("organisation.user", str(applicant_citizen.pk))
    assert entry.actor_username == "clerk_district_a"
    assert entry.data == {"field": "identity_code", "reason": "现场核验身份"}
    assert "110101199003070019" not in json.dumps(entry.data)


@pytest.mark.django_db
def test_reveal_personal_data_refuses_other_roles_and_records_the_attempt(
    regulator_district_a, applicant_citizen
):
    # when a regulator asks
    with pytest.raises(PermissionDenied):
        reveal_personal_data(applicant_citizen, "phone", actor=regulator_district_a)
    # then only the refusal is on record
    assert list(AuditEntry.objects.values_list("event_type", "actor_username")) == [
        ("personal_data.reveal_refused", "regulator_district_a")
    ]


@pytest.mark.django_db
def test_reveal_personal_data_refuses_the_system_and_anonymous(applicant_citizen):
    for actor in (None, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            reveal_personal_data(applicant_citizen, "phone", actor=actor)
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_encryption_key_is_generated_once_into_var_keys(settings, tmp_path):
    # given no configured key
    settings.AUDIT_ENCRYPTION_KEY = ""
    # when
    first = keys.fernet()
    second = keys.fernet()
    # then one key file was written, owner-only, and both handles use it
    key_file = tmp_path / "keys" / "audit-encryption.fernet"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert second.decrypt(first.encrypt(b"x")) == b"x"
    assert Fernet(key_file.read_text().strip()).decrypt(first.encrypt(b"y")) == b"y"


def test_configured_keys_allow_rotation(settings):
    # given data encrypted under an old key
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = Fernet(old).encrypt(b"13812345678")
    # when the new key is configured first and the old one kept
    settings.AUDIT_ENCRYPTION_KEY = f"{new},{old}"
    # then old data still reads and new data is written with the new key
    assert keys.fernet().decrypt(token) == b"13812345678"
    assert Fernet(new).decrypt(keys.fernet().encrypt(b"z")) == b"z"
