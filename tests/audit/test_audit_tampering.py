"""Verification: every kind of tampering, done through raw SQL as the owner, is found and named."""

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from portal.audit import hashing
from portal.audit.models import AuditEntry, SealBlock
from portal.audit.sealing import seal_file_path
from portal.audit.services import record_event, seal_audit_trail, verify_all, verify_chain

from .tampering import entry_values, insert_raw_entry, rehash, tamper

pytestmark = pytest.mark.django_db

ITEM = "catalogue.item:1"
OTHER = "catalogue.item:2"


@pytest.fixture
def sealed_history():
    """Three entries on one item's chain and one on another's, all sealed in block #1."""
    first = record_event("catalogue.item.created", actor=None, chain=ITEM, data={"name": "食品经营许可"})
    second = record_event(
        "catalogue.item.updated", actor=None, chain=ITEM, changes={"promised_limit": [20, 10]}
    )
    other = record_event("catalogue.item.created", actor=None, chain=OTHER)
    third = record_event("catalogue.item.published", actor=None, chain=ITEM)
    seal_audit_trail()
    return first, second, other, third


def messages(result) -> list[str]:
    return [f"[{problem.kind}] {problem.message}" for problem in result.ordered_problems()]


def test_untouched_trail_verifies(sealed_history, capsys):
    # given one more, unsealed entry
    record_event("catalogue.item.updated", actor=None, chain=OTHER)
    # when
    call_command("verify_audit")
    # then
    assert capsys.readouterr().out == (
        "OK: 5 entries in 2 chains, 1 seal blocks, seal file seal-0000000001.json verified, "
        "1 entries not yet sealed\n"
    )


def test_empty_trail_verifies(capsys):
    call_command("verify_audit")
    assert (
        capsys.readouterr().out
        == "OK: 0 entries in 0 chains, 0 seal blocks, no seal file yet, 0 entries not yet sealed\n"
    )


def test_altered_entry_is_named_and_the_command_fails(sealed_history):
    _, second, _, _ = sealed_history
    # given an entry whose content was changed in place
    tamper(
        "UPDATE audit_auditentry SET changes = %s WHERE id = %s", ['{"promised_limit": [20, 5]}', second.pk]
    )
    # when
    with pytest.raises(CommandError) as error:
        call_command("verify_audit")
    # then
    expected = f"entry #{second.pk} (chain {ITEM} seq 2) was altered: its content no longer matches its hash"
    assert error.value.returncode == 1
    assert str(error.value) == f"FAILED: 1 problem(s); first: [altered] {expected}"
    assert messages(verify_chain(ITEM)) == [f"[altered] {expected}"]


def test_removed_entry_in_the_middle_is_named(sealed_history):
    _, second, _, third = sealed_history
    # given an entry deleted from the middle of its chain
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [second.pk])
    # when
    result = verify_all()
    # then
    assert messages(result) == [
        f"[removed] chain {ITEM} seq 2 removed (gap before entry #{third.pk})",
        f"[removed] chain {ITEM} seq 2 (sealed in block #1) removed",
        "[removed] seal block #1 sealed 4 entries, 3 found in its range",
    ]


def test_removed_tail_of_a_sealed_chain_is_named(sealed_history):
    _, _, _, third = sealed_history
    # given the newest entry of a chain deleted (no gap is left in the chain itself)
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [third.pk])
    # when
    result = verify_all()
    # then
    assert messages(result) == [
        f"[removed] chain {ITEM} seq 3 (sealed in block #1) removed",
        "[removed] seal block #1 sealed 4 entries, 3 found in its range",
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite reuses no id gap to forge into")
def test_inserted_entry_in_a_sealed_range_is_named():
    # given a gap in the ids (a rolled-back write) inside what was then sealed
    record_event("catalogue.item.created", actor=None, chain=ITEM)
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event("catalogue.item.updated", actor=None, chain=ITEM)
        raise RuntimeError("rolled back")
    last = record_event("catalogue.item.updated", actor=None, chain=ITEM)
    seal_audit_trail()
    free_id = last.pk - 1
    assert not AuditEntry.objects.filter(pk=free_id).exists()
    # when a forged, correctly hashed entry of another chain is inserted into that gap
    forged = rehash(
        {**entry_values(last), "id": free_id, "chain": OTHER, "seq": 1, "prev_hash": hashing.GENESIS_HASH}
    )
    insert_raw_entry(forged)
    # then
    result = verify_all()
    assert messages(result) == [
        f"[inserted] entry #{free_id} (chain {OTHER} seq 1) was inserted: it lies in sealed block #1, "
        f"which sealed no entry of chain {OTHER}",
        "[inserted] seal block #1 sealed 2 entries, 3 found in its range",
    ]
    assert messages(verify_chain(OTHER)) == [
        f"[inserted] entry #{free_id} (chain {OTHER} seq 1) was inserted: it lies in a sealed range whose "
        f"block sealed no entry of chain {OTHER}"
    ]


def test_inserted_entry_that_does_not_link_is_named(sealed_history):
    _, _, _, third = sealed_history
    # given a forged entry appended to a chain with a made-up predecessor
    forged = rehash({**entry_values(third), "id": third.pk + 100, "seq": 4, "prev_hash": "f" * 64})
    insert_raw_entry(forged)
    # when
    result = verify_all()
    # then
    assert messages(result) == [
        f"[inserted] entry #{third.pk + 100} (chain {ITEM} seq 4) was inserted or replaced: "
        f"it does not link to entry #{third.pk}"
    ]


def test_rewritten_chain_tail_is_caught_by_the_seal_block(sealed_history):
    _, second, _, third = sealed_history
    # given seq 2 and 3 rewritten with recomputed hashes and links (the chain alone looks fine)
    new_second = rehash({**entry_values(second), "changes": {"promised_limit": [20, 15]}})
    new_third = rehash({**entry_values(third), "prev_hash": new_second["entry_hash"]})
    for values in (new_second, new_third):
        tamper(
            "UPDATE audit_auditentry SET changes = %s, prev_hash = %s, entry_hash = %s WHERE id = %s",
            [json.dumps(values["changes"]), values["prev_hash"], values["entry_hash"], values["id"]],
        )
    # when
    result = verify_all()
    # then
    assert messages(result) == [
        f"[rewritten] chain {ITEM} was rewritten: entry #{third.pk} (seq 3) differs from the head sealed in block #1"
    ]


def test_altered_seal_block_is_named(sealed_history):
    tamper("UPDATE audit_sealblock SET entry_count = 3 WHERE number = 1")
    assert messages(verify_all()) == [
        "[block altered] seal block #1 was altered: its content no longer matches its hash",
        "[inserted] seal block #1 sealed 3 entries, 4 found in its range",
    ]


def test_whole_table_rewrite_is_caught_by_the_signed_seal_file(sealed_history, settings, tmp_path):
    # given an insider who empties both tables and writes a consistent new history, blocks
    # included, but cannot write to the seal folder
    tamper("DELETE FROM audit_auditentry")
    tamper("DELETE FROM audit_sealblock")
    real_seal_dir = settings.AUDIT_SEAL_DIR
    settings.AUDIT_SEAL_DIR = tmp_path / "insiders-copy"
    record_event("catalogue.item.created", actor=None, chain=ITEM, data={"name": "另一个事项"})
    seal_audit_trail()
    settings.AUDIT_SEAL_DIR = real_seal_dir
    # when
    result = verify_all()
    # then
    assert messages(result) == [
        "[seal mismatch] seal block #1 does not match signed seal file seal-0000000001.json: "
        "the audit tables were rewritten"
    ]


def test_forged_seal_file_is_refused(sealed_history):
    # given a newer seal file signed with some other key
    other_key = Ed25519PrivateKey.generate()
    payload = {
        "format": "portal-audit-seal/1",
        "block_number": 2,
        "block_hash": "0" * 64,
        "through_entry_id": 99,
    }
    signature = base64.b64encode(other_key.sign(hashing.canonical_json(payload))).decode()
    seal_file_path(2).write_text(json.dumps({"payload": payload, "signature": signature}))
    # when
    result = verify_all()
    # then
    assert messages(result) == [
        "[bad signature] seal file seal-0000000002.json has a bad signature: it was forged or altered"
    ]


def test_edited_seal_file_is_refused(sealed_history):
    # given the real seal file with its block hash replaced
    path = seal_file_path(1)
    document = json.loads(path.read_bytes())
    document["payload"]["block_hash"] = "0" * 64
    path.write_text(json.dumps(document))
    # when
    result = verify_all()
    # then
    assert messages(result) == [
        "[bad signature] seal file seal-0000000001.json has a bad signature: it was forged or altered"
    ]


def test_deleted_seal_files_are_reported(sealed_history):
    seal_file_path(1).unlink()
    assert messages(verify_all()) == [
        f"[seal missing] no signed seal file in {seal_file_path(1).parent} for sealed block #1"
    ]


def test_removed_newest_block_is_caught_by_the_seal_file(sealed_history):
    tamper("DELETE FROM audit_sealblock WHERE number = 1")
    assert SealBlock.objects.count() == 0
    assert messages(verify_all()) == [
        "[seal mismatch] seal file seal-0000000001.json seals block #1, which the database lacks: "
        "the audit tables were rewritten"
    ]
