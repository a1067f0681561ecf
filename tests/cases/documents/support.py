"""A case with every kind of participant, sample files, and upload helpers for the documents
and ending tests."""

from __future__ import annotations

import functools
import io
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from odr.accounts.models import User
from odr.cases.models import AgentAuthorization, CaseDocument, CaseParticipant, CaseParty
from odr.services import Services
from odr.storage.models import StoredBlob
from tests.factories import make_case, make_user, seeded_orgs, sign_in


@dataclass
class World:
    """One case in mediation (institution ``institution_id``, court ``court_id``) and a second case."""

    case_id: int
    other_case_id: int
    institution_id: int
    court_id: int
    applicant: User
    respondent: User
    applicant_agent: User  # general authority for the applicant
    reader: User  # a lawyer for the applicant with file-reading authority only
    respondent_agent: User  # general authority for the respondent
    mediator: User
    other_mediator: User  # same institution, not assigned
    admin: User
    other_admin: User
    judge: User
    clerk: User
    other_judge: User
    other_party: User  # applicant of the other case


async def user(services: Services, role: str, **kw: Any) -> User:
    return await make_user(services, role, password=None, **kw)


async def add_agent(services: Services, case_id: int, side: str, scopes: list[str],
                    agent: User | None = None) -> User:
    """An agent user for ``side`` of the case with an authorization carrying ``scopes``."""
    agent = agent or await user(services, "agent")
    now = services.clock.now()
    async with services.db.uow() as uow:
        party = (await uow.session.execute(select(CaseParty).where(
            CaseParty.case_id == case_id, CaseParty.side == side))).scalars().first()
        assert party is not None
        uow.session.add(AgentAuthorization(
            case_id=case_id, party_id=party.id, agent_user_id=agent.id, scopes=scopes,
            valid_from=now, created_at=now,
        ))
        uow.session.add(CaseParticipant(
            case_id=case_id, user_id=agent.id, role="agent", party_id=party.id, created_at=now,
        ))
    return agent


async def make_world(services: Services, *, channel: str = "delegated",
                     status: str = "in_mediation", **case_fields: Any) -> World:
    courts, institutions = await seeded_orgs(services)
    inst, court = institutions[0], courts[0]
    applicant = await user(services, "party")
    respondent = await user(services, "party")
    mediator = await user(services, "mediator", institution_id=inst)
    court_id = court if channel in ("delegated", "entrusted") else None
    case = await make_case(
        services, applicant=applicant, respondent=respondent, status=status, channel=channel,
        institution_id=inst, court_id=court_id if court_id else None, mediator=mediator,
        **case_fields,
    )
    other_party = await user(services, "party")
    other = await make_case(services, applicant=other_party, status=status, channel=channel,
                            institution_id=institutions[1], court_id=courts[1])
    return World(
        case_id=case.id, other_case_id=other.id, institution_id=inst, court_id=court,
        applicant=applicant, respondent=respondent,
        applicant_agent=await add_agent(services, case.id, "applicant", ["general"]),
        reader=await add_agent(services, case.id, "applicant", ["read_file"]),
        respondent_agent=await add_agent(services, case.id, "respondent", ["general"]),
        mediator=mediator,
        other_mediator=await user(services, "mediator", institution_id=inst),
        admin=await user(services, "institution_admin", institution_id=inst),
        other_admin=await user(services, "institution_admin", institution_id=institutions[1]),
        judge=await user(services, "judge", court_id=court),
        clerk=await user(services, "clerk", court_id=court),
        other_judge=await user(services, "judge", court_id=courts[1]),
        other_party=other_party,
    )


async def act_as(client: httpx.AsyncClient, services: Services, who: User) -> None:
    client.cookies.clear()
    await sign_in(client, services, who)


async def upload(
    client: httpx.AsyncClient, case_id: int, data: bytes, filename: str = "证据.pdf", *,
    content_type: str = "application/octet-stream", **fields: Any,
) -> httpx.Response:
    """POST a document (fields first, then the file) the way a browser's FormData does."""
    form = {"title": "证据材料", "kind": "evidence", **{k: str(v) for k, v in fields.items()}}
    return await client.post(
        f"/api/v1/cases/{case_id}/documents", data=form,
        files={"file": (filename, data, content_type)},
    )


def raw_multipart(parts: list[tuple[str, bytes, str | None]], boundary: str = "odrboundary") -> tuple[bytes, str]:
    """A multipart body built byte by byte: (field name, value, raw file name or None)."""
    out = bytearray()
    for name, value, filename in parts:
        out += f"--{boundary}\r\n".encode()
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out += f"Content-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + value + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


async def document_count(services: Services) -> int:
    async with services.db.reader() as uow:
        return int((await uow.session.execute(select(func.count()).select_from(CaseDocument))).scalar_one())


async def blob_count(services: Services) -> int:
    async with services.db.reader() as uow:
        return int((await uow.session.execute(select(func.count()).select_from(StoredBlob))).scalar_one())


# ---- sample files ---------------------------------------------------------------------------

def pdf(pages: int = 1, text: str = "page") -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842))
    for i in range(pages):
        c.drawString(72, 760, f"{text} {i + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


def png(width: int = 320, height: int = 200) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buf, "PNG")
    return buf.getvalue()


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def docx(body: bytes = b"<w:document/>") -> bytes:
    return _zip({
        "[Content_Types].xml": b"<?xml version='1.0'?><Types/>",
        "_rels/.rels": b"<?xml version='1.0'?><Relationships/>",
        "word/document.xml": b"<?xml version='1.0'?>" + body,
    })


@functools.cache
def zip_bomb_docx(expanded: int = 150 * 1024 * 1024) -> bytes:
    """A DOCX-shaped ZIP whose document part is ``expanded`` zero bytes (about 150 KB packed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", b"<?xml version='1.0'?><Types/>")
        z.writestr("_rels/.rels", b"<?xml version='1.0'?><Relationships/>")
        with z.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"\0" * (1024 * 1024)
            for _ in range(expanded // len(block)):
                member.write(block)
    return buf.getvalue()


def fake_docx() -> bytes:
    """Starts like a DOCX (first entry [Content_Types].xml, then word/) but has no content types."""
    return _zip({
        "_rels/.rels": b"<Relationships/>",
        "word/document.xml": b"<w:document/>",
    })


def legacy_doc() -> bytes:
    """An OLE compound file whose first sector starts with Word's FIB magic (as filetype checks)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * (512 - 8)
    return header + b"\xec\xa5\xc1\x00" + b"\x00" * 1020


def exe() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50 + b"This program cannot be run in DOS mode.\r\n"


def pdf_pages_text(data: bytes, *, raw: bool = False) -> list[str]:
    """The text of each page as pdftotext reads it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.pdf"
        path.write_bytes(data)
        count = int(next(
            line.split()[-1] for line in subprocess.run(
                ["pdfinfo", str(path)], capture_output=True, text=True, check=True
            ).stdout.splitlines() if line.startswith("Pages:")
        ))
        args = ["-raw"] if raw else []
        return [
            subprocess.run(["pdftotext", *args, "-f", str(i), "-l", str(i), str(path), "-"],
                           capture_output=True, text=True, check=True).stdout
            for i in range(1, count + 1)
        ]


def compact(text: str) -> str:
    return "".join(text.split())

