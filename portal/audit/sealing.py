"""Sealing: tie all chains together in hash-linked blocks and sign the newest outside the database.

Per-chain hashes show that a chain is internally consistent, but someone who can write to the
database can recompute a chain from the point they changed. A seal block records, for a
contiguous range of entry ids, how many entries there were and where every touched chain's head
stood; blocks link to each other by hash; and the newest block's hash is signed with an Ed25519
key into a file in ``AUDIT_SEAL_DIR``, outside the database. Rewriting history then means
forging that signature too.

The seal file is written before the block's transaction commits, while the sealer lock is held:
a verifier (who takes the same lock, shared) never sees a committed block without its file. If
the commit fails after the file was written, the file names a block the database lacks until the
next run writes the real block of that number and replaces the file.
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.audit import hashing, keys, locking
from portal.audit.locking import SealLockBusy
from portal.audit.models import AuditEntry, SealBlock

__all__ = ["SEAL_FORMAT", "SealLockBusy", "seal_audit_trail", "seal_file_path", "seal_files", "seal_payload"]

SEAL_FORMAT = "portal-audit-seal/1"
SEAL_FILE_PATTERN = re.compile(r"seal-(\d+)\.json")


def seal_file_path(number: int) -> Path:
    # Zero-padded, so that the newest file is also the last one by name.
    return Path(settings.AUDIT_SEAL_DIR) / f"seal-{number:010d}.json"


def seal_files() -> list[tuple[int, Path]]:
    """The seal files present, oldest first, as (block number from the name, path)."""
    directory = Path(settings.AUDIT_SEAL_DIR)
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = SEAL_FILE_PATTERN.fullmatch(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def seal_payload(block: SealBlock, fingerprint: str) -> dict[str, Any]:
    """What the signature covers: enough to find the block and prove it unchanged."""
    return {
        "format": SEAL_FORMAT,
        "block_number": block.number,
        "block_hash": block.block_hash,
        "through_entry_id": block.through_entry_id,
        "sealed_at": hashing.format_timestamp(block.sealed_at),
        "public_key_fingerprint": fingerprint,
    }


def _write_seal_file(block: SealBlock) -> Path:
    signing_key = keys.signing_key()
    payload = seal_payload(block, keys.public_key_fingerprint(signing_key.public_key()))
    signature = signing_key.sign(hashing.canonical_json(payload))
    document = {"payload": payload, "signature": base64.b64encode(signature).decode("ascii")}
    path = seal_file_path(block.number)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".seal-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(hashing.canonical_json(document) + b"\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)  # atomic: a reader sees the old file or the new, never half
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _chain_heads(after_entry_id: int, through_entry_id: int) -> tuple[dict[str, list], int]:
    """For each chain touched in the range: [first seq, last seq, last hash]; and the entry count."""
    heads: dict[str, list] = {}
    count = 0
    rows = (
        AuditEntry.objects.filter(id__gt=after_entry_id, id__lte=through_entry_id)
        .order_by("chain", "seq")
        .values_list("chain", "seq", "entry_hash")
    )
    for chain, seq, entry_hash in rows.iterator(chunk_size=5000):
        count += 1
        head = heads.get(chain)
        if head is None:
            heads[chain] = [seq, seq, entry_hash]
        else:
            head[1], head[2] = seq, entry_hash
    return heads, count


def seal_audit_trail(*, wait_seconds: float = 5.0) -> SealBlock | None:
    """Seal every settled entry since the last block into a new block and sign it.

    Returns the new block, or None when nothing new was written (after making sure the newest
    block has its seal file). Raises ``SealLockBusy`` when writers kept the global lock busy for
    ``wait_seconds``; the caller tries again later. Idempotent and safe to run concurrently.
    """
    with transaction.atomic():
        locking.lock_sealer()
        last = SealBlock.objects.order_by("-number").first()
        after_entry_id = last.through_entry_id if last else 0
        through_entry_id = locking.highest_settled_entry_id(wait_seconds=wait_seconds)
        if through_entry_id <= after_entry_id:
            if last is not None and not seal_file_path(last.number).exists():
                _write_seal_file(last)
            return None
        heads, count = _chain_heads(after_entry_id, through_entry_id)
        block = SealBlock(
            number=last.number + 1 if last else 1,
            after_entry_id=after_entry_id,
            through_entry_id=through_entry_id,
            entry_count=count,
            chain_heads=heads,
            sealed_at=timezone.now(),
            previous_block_hash=last.block_hash if last else hashing.GENESIS_HASH,
        )
        block.block_hash = block.compute_hash()
        block.save()
        _write_seal_file(block)
    return block
