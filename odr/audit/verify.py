"""Verifying the hash chain end to end (``odr audit verify``).

Entries are streamed in seq order in batches, inside one snapshot (a read
transaction; REPEATABLE READ on PostgreSQL) so appends running meanwhile do
not look like a broken head. Each entry's hash is recomputed from its stored
fields, its link to the previous entry and its seq are checked, then the head
row, then the anchor file, merged with the stream (both are ordered by seq),
so neither the entries nor the anchors are ever held in memory at once.

What each kind of tampering looks like:

- a field (or the data JSON) edited: that entry's content no longer matches its hash;
- an edited entry re-hashed by the tamperer: the next entry's link breaks;
- a middle entry deleted: a gap in seq;
- entries swapped or moved: seq is hashed, so the content no longer matches;
- the newest entries deleted: the head row is ahead of the last entry;
- ... and the head rewound too, or the whole tail rewritten consistently:
  only the anchor file shows it (an anchored entry missing or different).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Row, select

from odr.audit.anchor import AnchorFileError, AnchorLine, read_anchors
from odr.audit.chain import GENESIS, entry_hash
from odr.audit.models import AuditEntry, AuditHead
from odr.db.uow import Database

BATCH_SIZE = 1000


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries_checked: int
    first_broken_seq: int | None
    problem: str
    anchors_checked: int = 0
    anchor_file_found: bool = False


class _Broken(Exception):
    def __init__(self, seq: int | None, problem: str) -> None:
        super().__init__(problem)
        self.seq = seq
        self.problem = problem


class _Anchors:
    """The anchor file as a cursor ordered by seq."""

    def __init__(self, path: Path | None) -> None:
        self.found = path is not None and path.exists()
        self._lines: Generator[AnchorLine] | None = read_anchors(path) if path and self.found else None
        self.checked = 0
        self.current: AnchorLine | None = None
        self.last_matched: AnchorLine | None = None
        self.advance()

    def advance(self) -> None:
        if self._lines is None:
            self.current = None
            return
        try:
            self.current = next(self._lines)
        except AnchorFileError as exc:
            raise _Broken(None, f"{exc}; the anchor file cannot be trusted") from exc
        except StopIteration:
            self.current = None

    def close(self) -> None:
        """Close the file now, even when verification stopped early."""
        if self._lines is not None:
            self._lines.close()

    def check(self, seq: int, stored_hash: str) -> None:
        line = self.current
        if line is None or line.seq != seq:
            return
        if line.hash != stored_hash:
            since = (
                f"after anchored entry {self.last_matched.seq}" if self.last_matched
                else "from the start"
            )
            raise _Broken(
                seq,
                f"entry {seq} differs from the hash anchored at {line.at}: the chain was "
                f"rewritten at or before entry {seq} ({since})",
            )
        self.checked += 1
        self.last_matched = line
        self.advance()


_COLUMNS = (
    AuditEntry.seq, AuditEntry.at, AuditEntry.actor_id, AuditEntry.actor_label, AuditEntry.action,
    AuditEntry.subject_type, AuditEntry.subject_id, AuditEntry.data, AuditEntry.prev_hash,
    AuditEntry.hash,
)


async def verify_chain(
    db: Database, anchor_path: Path | None, *, batch_size: int = BATCH_SIZE
) -> VerifyResult:
    """Check the whole chain; stop at (and name) the first broken entry."""
    checked = 0
    anchors: _Anchors | None = None
    try:
        anchors = _Anchors(anchor_path)
        async with db.reader() as uow:
            session = uow.session
            if not db.is_sqlite:
                # One snapshot for the whole scan (must precede the first query).
                await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            head = (await session.execute(select(AuditHead.seq, AuditHead.hash))).first()
            prev_seq, prev_hash = 0, GENESIS
            while True:
                query = (
                    select(*_COLUMNS)
                    .where(AuditEntry.seq > prev_seq)
                    .order_by(AuditEntry.seq)
                    .limit(batch_size)
                )
                try:
                    rows = (await session.execute(query)).all()
                except (ValueError, TypeError) as exc:  # a value no column type can read
                    raise _Broken(
                        prev_seq + 1, f"an entry after entry {prev_seq} cannot be read ({exc})"
                    ) from exc
                for row in rows:
                    _check_entry(row, prev_seq, prev_hash)
                    anchors.check(row.seq, row.hash)
                    prev_seq, prev_hash = row.seq, row.hash
                    checked += 1
                if len(rows) < batch_size:
                    break
        _check_head(head, prev_seq, prev_hash)
        if anchors.current is not None:
            line = anchors.current
            raise _Broken(
                prev_seq + 1,
                f"entries {prev_seq + 1}..{line.seq} are missing but entry {line.seq} was "
                f"anchored at {line.at}: the newest entries were truncated",
            )
    except _Broken as broken:
        return VerifyResult(
            ok=False, entries_checked=checked, first_broken_seq=broken.seq,
            problem=broken.problem, anchors_checked=anchors.checked if anchors else 0,
            anchor_file_found=anchors.found if anchors else False,
        )
    finally:
        if anchors is not None:
            anchors.close()
    return VerifyResult(
        ok=True, entries_checked=checked, first_broken_seq=None, problem="",
        anchors_checked=anchors.checked, anchor_file_found=anchors.found,
    )


def _check_entry(row: Row[Any], prev_seq: int, prev_hash: str) -> None:
    seq: int = row.seq
    expected = prev_seq + 1
    if seq != expected:
        raise _Broken(expected, f"entry {expected} is missing (the next stored entry is {seq})")
    try:
        recomputed = entry_hash(
            seq=seq, at=row.at, actor_id=row.actor_id, actor_label=row.actor_label,
            action=row.action, subject_type=row.subject_type, subject_id=row.subject_id,
            data=row.data, prev_hash=row.prev_hash,
        )
    except (ValueError, TypeError, AttributeError):  # e.g. NaN written into the data
        recomputed = None
    if recomputed != row.hash:
        raise _Broken(seq, f"entry {seq} was altered: its content no longer matches its hash")
    if row.prev_hash != prev_hash:
        raise _Broken(
            seq,
            f"entry {seq} does not link to entry {prev_seq}"
            if prev_seq else f"entry {seq} does not start the chain",
        )


def _check_head(head: Row[int, str] | None, last_seq: int, last_hash: str) -> None:
    if head is None:
        if last_seq:
            raise _Broken(last_seq, "the audit head row is missing")
        return
    head_seq: int = head.seq
    if head_seq != last_seq:
        first = min(head_seq, last_seq) + 1
        raise _Broken(
            first,
            f"the audit head says entry {head_seq} is the newest but the last stored entry is "
            f"{last_seq}" + (": the newest entries were deleted" if head_seq > last_seq else ""),
        )
    if head.hash != last_hash:
        raise _Broken(last_seq or None, f"the audit head's hash differs from entry {last_seq}'s")
