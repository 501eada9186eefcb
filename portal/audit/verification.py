"""Verification: recompute every hash and compare the database with the blocks and the signed seal.

Three layers, each catching what the one before cannot:

1. Chains. Each entry's hash must match its content, its seq must follow the previous one and its
   prev_hash must be that entry's hash. Catches an altered entry, a removed one in the middle of
   a chain (a seq gap) and an inserted one that does not link.
2. Seal blocks. Each block's hash must match its content and link to the previous block; the
   entries in its id range must be exactly the seqs it recorded for each chain, and each chain's
   recorded head hash must still be there. Catches entries inserted into or removed from a sealed
   range (including a chain's sealed tail) and a chain recomputed from the point it was changed.
3. The signed seal file. The newest file's signature must verify, and the block it names must
   exist with the hash it names. Catches a rewrite of both tables with everything recomputed.

Entries written since the newest block are covered by layer 1 only until the next seal.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import itertools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.db import transaction

from portal.audit import hashing, keys, locking
from portal.audit.models import AuditEntry, SealBlock
from portal.audit.sealing import SEAL_FORMAT, seal_files

ALTERED = "altered"
INSERTED = "inserted"
REMOVED = "removed"
REWRITTEN = "rewritten"
BLOCK_ALTERED = "block altered"
SEAL_MISMATCH = "seal mismatch"
BAD_SIGNATURE = "bad signature"
SEAL_MISSING = "seal missing"

_ENTRY_VALUES = ("id", "entry_hash", *hashing.ENTRY_HASHED_FIELDS)
# How many problems of one kind are worth listing; the first ones are what an investigator needs.
_MISSING_SEQS_LISTED = 5


@dataclass(frozen=True)
class Problem:
    """One finding. ``position`` orders findings by where in the log they are (an entry id)."""

    kind: str
    message: str
    entry_id: int | None = None
    position: float = math.inf


@dataclass
class VerificationResult:
    entries_checked: int = 0
    chains_checked: int = 0
    blocks_checked: int = 0
    unsealed_entries: int = 0
    seal_file: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def ordered_problems(self) -> list[Problem]:
        return sorted(self.problems, key=lambda problem: problem.position)

    @property
    def first_problem(self) -> Problem | None:
        ordered = self.ordered_problems()
        return ordered[0] if ordered else None

    def add(
        self, kind: str, message: str, *, entry_id: int | None = None, position: float | None = None
    ) -> None:
        if position is None:
            position = entry_id if entry_id is not None else math.inf
        self.problems.append(Problem(kind, message, entry_id, position))

    def summary(self) -> str:
        if not self.ok:
            first = self.first_problem
            return f"FAILED: {len(self.problems)} problem(s); first: [{first.kind}] {first.message}"
        seal = f"seal file {self.seal_file} verified" if self.seal_file else "no seal file yet"
        return (
            f"OK: {self.entries_checked} entries in {self.chains_checked} chains, "
            f"{self.blocks_checked} seal blocks, {seal}, {self.unsealed_entries} entries not yet sealed"
        )


# --- Layer 1: chains -----------------------------------------------------------------------


def _check_chains(rows: Iterable[dict[str, Any]], result: VerificationResult) -> None:
    """``rows`` ordered by chain then seq."""
    previous: dict[str, Any] | None = None
    for row in rows:
        result.entries_checked += 1
        if previous is None or previous["chain"] != row["chain"]:
            result.chains_checked += 1
            expected_seq, expected_prev_hash, previous_label = 1, hashing.GENESIS_HASH, "the chain's start"
        else:
            expected_seq, expected_prev_hash = previous["seq"] + 1, previous["entry_hash"]
            previous_label = f"entry #{previous['id']}"
        label = f"entry #{row['id']} (chain {row['chain']} seq {row['seq']})"
        if hashing.entry_hash(row) != row["entry_hash"]:
            result.add(
                ALTERED, f"{label} was altered: its content no longer matches its hash", entry_id=row["id"]
            )
        if row["seq"] > expected_seq:
            missing = (
                f"seq {expected_seq}"
                if row["seq"] == expected_seq + 1
                else f"seq {expected_seq}-{row['seq'] - 1}"
            )
            result.add(
                REMOVED,
                f"chain {row['chain']} {missing} removed (gap before entry #{row['id']})",
                position=row["id"] - 0.5,
            )
        elif row["seq"] < expected_seq:
            result.add(
                INSERTED,
                f"{label} was inserted: its seq repeats one already in the chain",
                entry_id=row["id"],
            )
        elif row["prev_hash"] != expected_prev_hash:
            result.add(
                INSERTED,
                f"{label} was inserted or replaced: it does not link to {previous_label}",
                entry_id=row["id"],
            )
        previous = row


# --- Layer 2: seal blocks ------------------------------------------------------------------


def _check_block_links(block: SealBlock, previous: SealBlock | None, result: VerificationResult) -> None:
    position = block.after_entry_id + 0.5
    if block.compute_hash() != block.block_hash:
        result.add(
            BLOCK_ALTERED,
            f"seal block #{block.number} was altered: its content no longer matches its hash",
            position=position,
        )
    expected_number = previous.number + 1 if previous else 1
    if block.number != expected_number:
        result.add(
            BLOCK_ALTERED,
            f"seal block #{expected_number} was removed (next found: #{block.number})",
            position=position,
        )
    expected_after = previous.through_entry_id if previous else 0
    expected_hash = previous.block_hash if previous else hashing.GENESIS_HASH
    if block.after_entry_id != expected_after or block.previous_block_hash != expected_hash:
        result.add(
            BLOCK_ALTERED,
            f"seal block #{block.number} does not link to the block before it",
            position=position,
        )


def _check_block_range(
    block: SealBlock,
    rows: Sequence[tuple[int, str, int, str]],
    result: VerificationResult,
    *,
    only_chain: str | None = None,
) -> None:
    """``rows``: (id, chain, seq, entry_hash) of the entries in the block's range, ordered by chain
    then seq (restricted to ``only_chain`` when verifying one chain)."""
    heads = block.chain_heads
    if only_chain is not None:
        heads = {only_chain: heads[only_chain]} if only_chain in heads else {}
    seen: set[str] = set()
    for chain, group_iterator in itertools.groupby(rows, key=lambda row: row[1]):
        group = list(group_iterator)
        head = heads.get(chain)
        if head is None:
            entry_id, _, seq, _ = group[0]
            result.add(
                INSERTED,
                f"entry #{entry_id} (chain {chain} seq {seq}) was inserted: it lies in sealed block "
                f"#{block.number}, which sealed no entry of chain {chain}",
                entry_id=entry_id,
            )
            continue
        seen.add(chain)
        first_seq, last_seq, last_hash = head
        for entry_id, _, seq, _ in group:
            if not first_seq <= seq <= last_seq:
                result.add(
                    INSERTED,
                    f"entry #{entry_id} (chain {chain} seq {seq}) was inserted: sealed block #{block.number} "
                    f"sealed only seq {first_seq}-{last_seq} of chain {chain}",
                    entry_id=entry_id,
                )
                break
        present = {seq for _, _, seq, _ in group}
        missing = [seq for seq in range(first_seq, last_seq + 1) if seq not in present]
        if missing:
            following = [entry_id for entry_id, _, seq, _ in group if seq > missing[0]]
            listed = ", ".join(str(seq) for seq in missing[:_MISSING_SEQS_LISTED])
            result.add(
                REMOVED,
                f"chain {chain} seq {listed} (sealed in block #{block.number}) removed",
                position=(following[0] if following else block.through_entry_id) - 0.5,
            )
        head_row = next((row for row in group if row[2] == last_seq), None)
        if head_row is not None and head_row[3] != last_hash:
            result.add(
                REWRITTEN,
                f"chain {chain} was rewritten: entry #{head_row[0]} (seq {last_seq}) differs from the head "
                f"sealed in block #{block.number}",
                entry_id=head_row[0],
            )
    for chain in sorted(set(heads) - seen):
        first_seq, last_seq, _ = heads[chain]
        result.add(
            REMOVED,
            f"chain {chain} seq {first_seq}-{last_seq} (sealed in block #{block.number}) removed",
            position=block.through_entry_id - 0.5,
        )
    if only_chain is None and len(rows) != block.entry_count:
        kind = REMOVED if len(rows) < block.entry_count else INSERTED
        result.add(
            kind,
            f"seal block #{block.number} sealed {block.entry_count} entries, {len(rows)} found in its range",
            position=block.through_entry_id,
        )


def _block_rows(block: SealBlock, *, chain: str | None = None) -> list[tuple[int, str, int, str]]:
    entries = AuditEntry.objects.filter(id__gt=block.after_entry_id, id__lte=block.through_entry_id)
    if chain is not None:
        entries = entries.filter(chain=chain)
    return list(entries.order_by("chain", "seq").values_list("id", "chain", "seq", "entry_hash"))


# --- Layer 3: the signed seal file ---------------------------------------------------------


def _read_signed_payload(path: Path) -> dict[str, Any] | None:
    """The payload if its signature verifies with our key, else None."""
    verification_key = keys.verification_key()
    if verification_key is None:
        return None
    try:
        document = json.loads(path.read_bytes())
        payload = document["payload"]
        signature = base64.b64decode(document["signature"], validate=True)
        verification_key.verify(signature, hashing.canonical_json(payload))
    except (OSError, ValueError, KeyError, TypeError, binascii.Error, InvalidSignature):
        return None
    return payload if isinstance(payload, dict) and payload.get("format") == SEAL_FORMAT else None


def _check_seal_file(newest_block: SealBlock | None, result: VerificationResult) -> None:
    files = seal_files()
    if not files:
        if newest_block is not None:
            result.add(
                SEAL_MISSING,
                f"no signed seal file in {settings.AUDIT_SEAL_DIR} for sealed block #{newest_block.number}",
            )
        return
    number, path = files[-1]
    result.seal_file = path.name
    if keys.verification_key() is None:
        result.add(
            SEAL_MISSING, f"no key at {settings.AUDIT_SIGNING_KEY_FILE} to check seal file {path.name} with"
        )
        return
    payload = _read_signed_payload(path)
    if payload is None:
        result.add(BAD_SIGNATURE, f"seal file {path.name} has a bad signature: it was forged or altered")
        return
    if payload.get("block_number") != number:
        result.add(SEAL_MISMATCH, f"seal file {path.name} is signed for block #{payload.get('block_number')}")
        return
    block = SealBlock.objects.filter(number=number).first()
    if block is None:
        result.add(
            SEAL_MISMATCH,
            f"seal file {path.name} seals block #{number}, which the database lacks: the audit tables were rewritten",
        )
    elif block.block_hash != payload.get("block_hash") or block.through_entry_id != payload.get(
        "through_entry_id"
    ):
        result.add(
            SEAL_MISMATCH,
            f"seal block #{number} does not match signed seal file {path.name}: the audit tables were rewritten",
        )
    if newest_block is not None and newest_block.number > number:
        result.add(
            SEAL_MISSING,
            f"seal blocks #{number + 1}-#{newest_block.number} have no signed seal file in {settings.AUDIT_SEAL_DIR}",
        )


# --- Entry points --------------------------------------------------------------------------


def verify_all() -> VerificationResult:
    """Check every chain, every seal block and the newest signed seal file."""
    result = VerificationResult()
    entries = AuditEntry.objects.order_by("chain", "seq").values(*_ENTRY_VALUES)
    _check_chains(entries.iterator(chunk_size=2000), result)
    # Blocks and seal file are read under the sealer lock (shared), so that a block committed
    # a moment ago is never seen without its file. SQLite serialises the sealer anyway.
    atomic = transaction.atomic() if locking.is_postgresql() else contextlib.nullcontext()
    with atomic:
        locking.lock_sealer(shared=True)
        previous: SealBlock | None = None
        for block in SealBlock.objects.order_by("number").iterator(chunk_size=200):
            result.blocks_checked += 1
            _check_block_links(block, previous, result)
            _check_block_range(block, _block_rows(block), result)
            previous = block
        _check_seal_file(previous, result)
    sealed_through = previous.through_entry_id if previous else 0
    result.unsealed_entries = AuditEntry.objects.filter(id__gt=sealed_through).count()
    return result


def verify_chain(chain: str) -> VerificationResult:
    """Check one chain: its links and hashes, and its heads in the blocks that sealed it."""
    result = VerificationResult()
    rows = list(AuditEntry.objects.filter(chain=chain).order_by("seq").values(*_ENTRY_VALUES))
    _check_chains(rows, result)
    blocks = list(SealBlock.objects.filter(chain_heads__has_key=chain).order_by("number"))
    for block in blocks:
        result.blocks_checked += 1
        if block.compute_hash() != block.block_hash:
            result.add(
                BLOCK_ALTERED,
                f"seal block #{block.number} was altered: its content no longer matches its hash",
            )
        _check_block_range(block, _block_rows(block, chain=chain), result, only_chain=chain)
    # An entry of this chain inside a sealed range whose block did not record the chain was inserted.
    newest = SealBlock.objects.order_by("-number").first()
    sealed_through = newest.through_entry_id if newest else 0
    ranges = [(block.after_entry_id, block.through_entry_id) for block in blocks]
    for row in rows:
        if row["id"] <= sealed_through and not any(low < row["id"] <= high for low, high in ranges):
            result.add(
                INSERTED,
                f"entry #{row['id']} (chain {chain} seq {row['seq']}) was inserted: it lies in a sealed range "
                f"whose block sealed no entry of chain {chain}",
                entry_id=row["id"],
            )
    result.unsealed_entries = sum(1 for row in rows if row["id"] > sealed_through)
    return result
