"""Anchoring the chain's head outside the database.

An anchor line ``{"at": iso, "seq": n, "hash": h}`` is appended (and fsynced)
to a file that lives outside the database, whenever the head has moved since
the last line. Someone who can rewrite the database but not this file cannot
silently drop or rewrite the newest entries: ``verify_chain`` checks that
every anchored entry is still there with the same hash. Keep the file on
storage the database's operators cannot rewrite (another host, WORM storage)
for the anchor to mean more than a second copy.

A line is written with one ``write``; a crash mid-write can leave an
unterminated fragment at the end. Readers ignore it, and the next append
drops it first, since it never was an anchor.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Generator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from sqlalchemy import select

from odr.audit.models import AuditEntry, AuditHead
from odr.clock import Clock
from odr.db.uow import Database

_TAIL_CHUNK = 4096


@dataclass(frozen=True)
class AnchorLine:
    at: str
    seq: int
    hash: str

    def to_json(self) -> str:
        return json.dumps({"at": self.at, "seq": self.seq, "hash": self.hash}, separators=(",", ":"))


class AnchorFileError(ValueError):
    """The anchor file is unreadable: a malformed or out-of-order line."""

    def __init__(self, line_no: int, reason: str) -> None:
        super().__init__(f"anchor file line {line_no}: {reason}")
        self.line_no = line_no
        self.reason = reason


class AnchorMismatch(RuntimeError):
    """The database no longer holds the last anchored entry: refuse to anchor over it."""


def parse_line(text: str, line_no: int) -> AnchorLine:
    try:
        raw = json.loads(text)
        line = AnchorLine(at=str(raw["at"]), seq=int(raw["seq"]), hash=str(raw["hash"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise AnchorFileError(line_no, "not an anchor line") from exc
    if line.seq < 1 or len(line.hash) != 64:
        raise AnchorFileError(line_no, "not an anchor line")
    return line


def read_anchors(path: Path) -> Generator[AnchorLine]:
    """Anchor lines in file order, streamed; seq must strictly increase.

    Blank lines are skipped, an unterminated last line (a torn write) is
    ignored, anything else unreadable raises ``AnchorFileError``.
    """
    previous = 0
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if not raw.endswith(b"\n"):
                return  # torn final write
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            line = parse_line(text, line_no)
            if line.seq <= previous:
                raise AnchorFileError(line_no, f"seq {line.seq} does not follow seq {previous}")
            previous = line.seq
            yield line


def _tail(fd: int) -> tuple[AnchorLine | None, int]:
    """The last anchor line and the offset where complete lines end.

    Reads backwards from the end in chunks, so the cost does not grow with the
    file. Bytes after the last newline are a torn write and are not a line.
    """
    pos = os.fstat(fd).st_size
    buf = b""
    complete_end: int | None = None
    while True:
        if complete_end is None:
            cut = buf.rfind(b"\n")
            if cut >= 0:
                complete_end = pos + cut + 1
        if complete_end is not None:
            lines = buf[: complete_end - pos].split(b"\n")[:-1]
            # Unless at the file's start, the first piece may be a partial line.
            for raw in reversed(lines if pos == 0 else lines[1:]):
                text = raw.decode("utf-8", errors="replace").strip()
                if text:
                    return parse_line(text, 0), complete_end
        if pos == 0:
            return None, complete_end or 0
        step = min(_TAIL_CHUNK, pos)
        pos -= step
        buf = os.pread(fd, step, pos) + buf


def last_anchor(path: Path) -> AnchorLine | None:
    """The newest anchor line of ``path`` (None when there is none)."""
    if not path.exists():
        return None
    with path.open("rb") as handle:
        return _tail(handle.fileno())[0]


async def anchor_head(db: Database, clock: Clock, path: Path) -> AnchorLine | None:
    """Append the head to the anchor file if it moved; return the new line, if any.

    Refuses (``AnchorMismatch``) when the database no longer holds the last
    anchored entry with its anchored hash, or its head is behind it: anchoring
    would bless a truncated or rewritten chain. The file is locked only around
    the final re-check and write (never across a database await); if another
    caller anchored in between, this call writes nothing.
    """
    previous = last_anchor(path)
    async with db.reader() as uow:
        head = (await uow.session.execute(select(AuditHead.seq, AuditHead.hash))).first()
        anchored_hash = None
        if previous is not None:
            anchored_hash = (
                await uow.session.execute(
                    select(AuditEntry.hash).where(AuditEntry.seq == previous.seq)
                )
            ).scalar_one_or_none()
    head_seq = head.seq if head is not None else 0
    if previous is not None:
        if anchored_hash != previous.hash:
            held = "holds a different hash" if anchored_hash else "no longer holds it"
            raise AnchorMismatch(
                f"entry {previous.seq} was anchored at {previous.at} but the database {held}: "
                "run `odr audit verify`"
            )
        if head_seq < previous.seq:
            raise AnchorMismatch(
                f"the audit head is at entry {head_seq}, behind anchored entry {previous.seq}: "
                "run `odr audit verify`"
            )
    if head is None or head_seq == 0 or (previous is not None and head_seq == previous.seq):
        return None
    line = AnchorLine(
        at=clock.now().astimezone(UTC).isoformat(), seq=head.seq, hash=head.hash
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        now_last, complete_end = _tail(fd)
        if now_last != previous:
            return None  # another caller anchored meanwhile
        if os.fstat(fd).st_size != complete_end:
            os.ftruncate(fd, complete_end)  # drop a torn fragment of a crashed write
        os.write(fd, (line.to_json() + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)  # also releases the lock
    if created:
        _fsync_dir(path.parent)
    return line


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
