"""Sealing: blocks over id ranges, linked by hash, with the newest signed into a file."""

import base64
import json

import pytest
from django.core.management import call_command

from portal.audit import hashing, keys
from portal.audit.models import SealBlock
from portal.audit.sealing import seal_file_path, seal_payload
from portal.audit.services import record_event, seal_audit_trail, verify_all
from portal.audit.tasks import seal_audit_chain

pytestmark = pytest.mark.django_db


def test_seal_block_records_range_count_and_chain_heads():
    # given entries on two chains
    a1 = record_event("catalogue.item.created", actor=None, chain="catalogue.item:1")
    b1 = record_event("catalogue.item.created", actor=None, chain="catalogue.item:2")
    a2 = record_event("catalogue.item.published", actor=None, chain="catalogue.item:1")
    # when
    block = seal_audit_trail()
    # then
    assert (block.number, block.after_entry_id, block.through_entry_id, block.entry_count) == (1, 0, a2.pk, 3)
    assert block.chain_heads == {
        "catalogue.item:1": [1, 2, a2.entry_hash],
        "catalogue.item:2": [1, 1, b1.entry_hash],
    }
    assert block.previous_block_hash == hashing.GENESIS_HASH
    assert block.block_hash == block.compute_hash()
    assert a1.pk < b1.pk < a2.pk


def test_next_block_starts_where_the_last_ended_and_links_to_it():
    record_event("catalogue.item.created", actor=None, chain="catalogue.item:1")
    first = seal_audit_trail()
    later = record_event("catalogue.item.published", actor=None, chain="catalogue.item:1")
    # when
    second = seal_audit_trail()
    # then
    assert (second.number, second.after_entry_id, second.through_entry_id, second.entry_count) == (
        2,
        first.through_entry_id,
        later.pk,
        1,
    )
    assert second.chain_heads == {"catalogue.item:1": [2, 2, later.entry_hash]}
    assert second.previous_block_hash == first.block_hash


def test_nothing_new_seals_nothing():
    assert seal_audit_trail() is None
    record_event("catalogue.item.created", actor=None, chain="catalogue.item:1")
    seal_audit_trail()
    assert seal_audit_trail() is None
    assert SealBlock.objects.count() == 1


def test_seal_file_is_signed_with_the_ed25519_key(settings):
    # given
    record_event("catalogue.item.created", actor=None, chain="catalogue.item:1")
    # when
    block = seal_audit_trail()
    # then the file holds the block's hash, signed; the public key is exported beside the private one
    document = json.loads(seal_file_path(1).read_bytes())
    public_key = keys.verification_key()
    fingerprint = keys.public_key_fingerprint(public_key)
    assert document["payload"] == seal_payload(block, fingerprint)
    assert document["payload"]["block_hash"] == block.block_hash
    public_key.verify(base64.b64decode(document["signature"]), hashing.canonical_json(document["payload"]))
    assert settings.AUDIT_SIGNING_KEY_FILE.stat().st_mode & 0o777 == 0o600
    assert keys.public_key_path(settings.AUDIT_SIGNING_KEY_FILE).exists()


def test_missing_seal_file_of_the_newest_block_is_written_again():
    record_event("catalogue.item.created", actor=None, chain="catalogue.item:1")
    seal_audit_trail()
    seal_file_path(1).unlink()
    # when nothing new arrived but the sealer runs
    assert seal_audit_trail() is None
    # then the file is back and verification passes
    assert seal_file_path(1).exists()
    assert verify_all().ok


def test_task_seals_and_returns_the_block_number():
    record_event("catalogue.item.created", actor=None, chain="catalogue.item:1")
    assert seal_audit_chain.apply().get() == 1
    assert seal_audit_chain.apply().get() is None


def test_seal_audit_command(capsys):
    record_event("catalogue.item.created", actor=None, chain="catalogue.item:1")
    entry = record_event("catalogue.item.created", actor=None, chain="catalogue.item:2")
    call_command("seal_audit")
    call_command("seal_audit")
    assert capsys.readouterr().out == (
        f"Sealed block #1: 2 entries (0, {entry.pk}] in 2 chains.\nNothing new to seal.\n"
    )
