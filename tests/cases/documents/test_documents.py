"""Case documents through the API, on SQLite and PostgreSQL: upload, visibility, versions, download."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import select

from odr.audit.models import AuditEntry
from odr.cases.models import CaseDocument
from odr.services import Services
from tests.cases.documents.support import (
    World,
    act_as,
    blob_count,
    document_count,
    docx,
    exe,
    fake_docx,
    legacy_doc,
    make_world,
    pdf,
    png,
    raw_multipart,
    upload,
    zip_bomb_docx,
)
from tests.storage.conftest import everything_stored


def docs_url(case_id: int) -> str:
    return f"/api/v1/cases/{case_id}/documents"


async def titles(client: httpx.AsyncClient, case_id: int) -> set[str]:
    response = await client.get(docs_url(case_id))
    assert response.status_code == 200, response.text
    return {d["title"] for d in response.json()["items"]}


async def test_party_uploads_evidence_and_the_other_side_downloads_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    data = pdf(2)
    await act_as(client, services, w.applicant)

    response = await upload(client, w.case_id, data, "借款合同.pdf", title="借款合同")

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["side"] == "applicant"
    assert body["version"] == 1 and body["lineage_id"] == body["id"]
    assert body["content_type"] == "application/pdf"
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["uploaded_by_id"] == w.applicant.id

    await act_as(client, services, w.respondent)
    assert await titles(client, w.case_id) == {"借款合同"}
    content = await client.get(body["content_url"])
    assert content.status_code == 200
    assert content.content == data
    assert content.headers["content-type"] == "application/pdf"
    assert content.headers["content-disposition"] == (
        "attachment; filename=\"document.pdf\"; filename*=UTF-8''" + quote("借款合同.pdf")
    )


async def seed_visibility(client: httpx.AsyncClient, services: Services, w: World) -> dict[str, int]:
    """One document of each visibility, by whoever would send it."""
    ids: dict[str, int] = {}
    plan = [
        (w.applicant, "申请人证据", "all", False),
        (w.applicant, "申请人内部材料", "own_side", False),
        (w.respondent, "被申请人证据", "all", False),
        (w.respondent, "被申请人致调解员", "mediator_only", False),
        (w.mediator, "背靠背笔录", "mediator_only", False),
        (w.mediator, "让步方案", "all", True),
    ]
    for uploader, title, visibility, confidential in plan:
        await act_as(client, services, uploader)
        response = await upload(client, w.case_id, pdf(), f"{title}.pdf", title=title,
                                visibility=visibility, confidential=str(confidential).lower())
        assert response.status_code == 201, response.text
        ids[title] = response.json()["id"]
    return ids


async def test_each_actor_sees_only_the_documents_meant_for_them_L11(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await seed_visibility(client, services, w)
    everything = {"申请人证据", "申请人内部材料", "被申请人证据", "被申请人致调解员", "背靠背笔录", "让步方案"}
    expected = {
        "applicant": (w.applicant, {"申请人证据", "申请人内部材料", "被申请人证据", "让步方案"}),
        "applicant's agent": (w.applicant_agent, {"申请人证据", "申请人内部材料", "被申请人证据", "让步方案"}),
        "respondent": (w.respondent, {"申请人证据", "被申请人证据", "被申请人致调解员", "让步方案"}),
        "respondent's agent": (w.respondent_agent, {"申请人证据", "被申请人证据", "让步方案"}),
        "mediator": (w.mediator, everything),
        "institution admin": (w.admin, everything),
        "judge (L11: no caucus, no concessions)": (w.judge, {"申请人证据", "申请人内部材料", "被申请人证据"}),
    }
    for name, (actor, visible) in expected.items():
        await act_as(client, services, actor)
        assert await titles(client, w.case_id) == visible, name


async def test_a_party_never_gets_the_other_sides_mediator_only_document_L11(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    ids = await seed_visibility(client, services, w)
    await act_as(client, services, w.applicant)
    for title in ("被申请人致调解员", "背靠背笔录"):
        doc_id = ids[title]
        for path in ("content", "versions"):
            response = await client.get(f"{docs_url(w.case_id)}/{doc_id}/{path}")
            assert response.status_code == 404, (title, path, response.text)
            assert title not in response.text


async def test_a_party_never_sees_another_cases_documents(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    ids = await seed_visibility(client, services, w)
    await act_as(client, services, w.other_party)
    assert (await client.get(docs_url(w.case_id))).status_code == 403
    assert (await client.get(f"{docs_url(w.case_id)}/{ids['申请人证据']}/content")).status_code == 403
    # and the other case's address does not reach this case's documents either
    response = await client.get(f"{docs_url(w.other_case_id)}/{ids['申请人证据']}/content")
    assert response.status_code == 404
    assert (await client.post(docs_url(w.case_id), files={"file": ("a.pdf", pdf())},
                              data={"title": "x", "kind": "evidence"})).status_code == 403


async def test_restricted_downloads_are_audited(client: httpx.AsyncClient, services: Services) -> None:
    w = await make_world(services)
    ids = await seed_visibility(client, services, w)
    await act_as(client, services, w.mediator)
    for title in ("背靠背笔录", "让步方案", "申请人证据"):
        assert (await client.get(f"{docs_url(w.case_id)}/{ids[title]}/content")).status_code == 200
    async with services.db.reader() as uow:
        audited = (await uow.session.execute(
            select(AuditEntry).where(AuditEntry.action == "case.document_downloaded")
            .order_by(AuditEntry.seq))).scalars().all()
    assert [(a.subject_id, a.actor_id) for a in audited] == [
        (str(ids["背靠背笔录"]), w.mediator.id), (str(ids["让步方案"]), w.mediator.id),
    ]


async def test_a_new_version_keeps_the_old_one(client: httpx.AsyncClient, services: Services) -> None:
    w = await make_world(services)
    await act_as(client, services, w.applicant)
    first = (await upload(client, w.case_id, pdf(1, "v1"), "合同.pdf", title="合同")).json()

    response = await upload(client, w.case_id, pdf(1, "v2"), "合同-修订.pdf", title="合同（修订）",
                            replaces_id=first["id"])

    assert response.status_code == 201, response.text
    second = response.json()
    assert (second["lineage_id"], second["version"]) == (first["id"], 2)
    assert second["kind"] == "evidence" and second["side"] == "applicant"
    listed = (await client.get(docs_url(w.case_id))).json()["items"]
    assert [(d["id"], d["version"]) for d in listed] == [(second["id"], 2)]
    versions = (await client.get(f"{docs_url(w.case_id)}/{first['id']}/versions")).json()["items"]
    assert [(d["id"], d["title"]) for d in versions] == [(first["id"], "合同"), (second["id"], "合同（修订）")]
    old = await client.get(first["content_url"])
    assert hashlib.sha256(old.content).hexdigest() == first["sha256"]
    async with services.db.reader() as uow:
        row = await uow.session.get(CaseDocument, first["id"])
        assert row is not None
        assert (row.title, row.version, row.blob_sha256) == ("合同", 1, first["sha256"])
    # replacing an old version is refused: add to the newest
    stale = await upload(client, w.case_id, pdf(1, "v3"), "c.pdf", title="c", replaces_id=first["id"])
    assert stale.status_code == 409


async def test_new_versions_come_from_the_side_that_added_the_document(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await act_as(client, services, w.applicant)
    first = (await upload(client, w.case_id, pdf(), "a.pdf", title="合同")).json()
    await act_as(client, services, w.respondent)
    response = await upload(client, w.case_id, pdf(1, "x"), "b.pdf", title="合同", replaces_id=first["id"])
    assert response.status_code == 403
    await act_as(client, services, w.applicant_agent)  # the applicant's agent may
    response = await upload(client, w.case_id, pdf(1, "y"), "b.pdf", title="合同", replaces_id=first["id"])
    assert response.status_code == 201, response.text


async def test_replaces_id_from_another_case_is_refused_and_nothing_stored(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await act_as(client, services, w.other_party)
    foreign = (await upload(client, w.other_case_id, pdf(), "a.pdf")).json()
    before = await document_count(services)
    await act_as(client, services, w.applicant)

    response = await upload(client, w.case_id, pdf(2), "b.pdf", replaces_id=foreign["id"])

    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == "replaces_id"
    assert await document_count(services) == before


async def test_parties_cannot_upload_once_the_case_has_ended_but_staff_can(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services, status="failed")
    await act_as(client, services, w.applicant)
    refused = await upload(client, w.case_id, pdf(), "a.pdf")
    assert refused.status_code == 403
    assert "once the case has ended" in refused.json()["error"]["message"]
    await act_as(client, services, w.admin)
    assert (await upload(client, w.case_id, pdf(), "a.pdf", visibility="mediator_only")).status_code == 201
    await act_as(client, services, w.other_admin)
    assert (await upload(client, w.case_id, pdf(), "a.pdf")).status_code == 403


async def test_office_documents_are_accepted(client: httpx.AsyncClient, services: Services) -> None:
    w = await make_world(services)
    await act_as(client, services, w.applicant)
    docx_up = await upload(client, w.case_id, docx(), "起诉状.docx")
    assert docx_up.status_code == 201, docx_up.text
    assert docx_up.json()["content_type"].endswith("wordprocessingml.document")
    doc_up = await upload(client, w.case_id, legacy_doc(), "旧合同.doc")
    assert doc_up.status_code == 201, doc_up.text
    assert doc_up.json()["content_type"] == "application/msword"
    png_up = await upload(client, w.case_id, png(), "截图.png", kind="evidence")
    assert png_up.json()["content_type"] == "image/png"


BAD_FILES: list[tuple[str, Callable[[], bytes], str, int, str]] = [
    ("an .exe named .pdf", exe, "合同.pdf", 415, "file_type_mismatch"),
    ("a zip bomb named .docx", zip_bomb_docx, "炸弹.docx", 413, "unsafe_archive"),
    ("a small zip bomb (ratio)", lambda: zip_bomb_docx(8 * 1024 * 1024), "炸弹.docx", 413, "unsafe_archive"),
    ("a zip pretending to be a docx", fake_docx, "假的.docx", 415, "file_type_mismatch"),
    ("a path in the name", pdf, "../../etc/合同.pdf", 400, "bad_filename"),
    ("a folder in the name", pdf, "证据/合同.pdf", 400, "bad_filename"),
    ("a right-to-left override hiding .exe", pdf, "合同\u202eexe.pdf", 400, "bad_filename"),
]


@pytest.mark.parametrize(("what", "make", "name", "status", "code"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
async def test_bad_files_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, services: Services, what: str, make: Callable[[], bytes], name: str,
    status: int, code: str,
) -> None:
    w = await make_world(services)
    await act_as(client, services, w.applicant)

    response = await upload(client, w.case_id, make(), name)

    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert await document_count(services) == 0
    assert await blob_count(services) == 0
    assert await everything_stored(services.storage) == set()


async def test_control_characters_in_the_file_name_are_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    w = await make_world(services)
    await act_as(client, services, w.applicant)
    body, content_type = raw_multipart([
        ("title", "证据".encode(), None), ("kind", b"evidence", None),
        ("file", pdf(), "a\x01b.pdf"),
    ])
    response = await client.post(docs_url(w.case_id), content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.json()["error"]["details"]["characters"] == ["U+0001"]
    assert await document_count(services) == 0


async def test_oversize_upload_is_refused(client: httpx.AsyncClient, services: Services) -> None:
    w = await make_world(services)
    services.settings.max_upload_bytes = 4000
    await act_as(client, services, w.applicant)
    response = await upload(client, w.case_id, pdf(1) + b"%" * 5000, "大.pdf")
    assert response.status_code == 413
    assert await document_count(services) == 0
    assert await blob_count(services) == 0


FIELD_ERRORS = [
    ("unknown kind", {"kind": "spaceship"}, "kind"),
    ("unknown visibility", {"visibility": "everyone"}, "visibility"),
    ("empty title", {"title": ""}, "title"),
    ("unknown field", {"colour": "red"}, "colour"),
    ("transfer packages are generated", {"kind": "transfer_package"}, "kind"),
]


@pytest.mark.parametrize(("what", "fields", "field"), FIELD_ERRORS, ids=[f[0] for f in FIELD_ERRORS])
async def test_bad_fields_are_refused_before_the_file_is_stored(
    client: httpx.AsyncClient, services: Services, what: str, fields: dict[str, str], field: str
) -> None:
    w = await make_world(services)
    await act_as(client, services, w.applicant)
    response = await upload(client, w.case_id, pdf(), "a.pdf", **fields)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"] == field
    assert await document_count(services) == 0
    assert await blob_count(services) == 0


async def test_staff_cannot_choose_own_side_visibility(client: httpx.AsyncClient, services: Services) -> None:
    w = await make_world(services)
    await act_as(client, services, w.mediator)
    response = await upload(client, w.case_id, pdf(), "a.pdf", visibility="own_side")
    assert response.status_code == 422


async def test_fields_after_the_file_are_refused(client: httpx.AsyncClient, services: Services) -> None:
    w = await make_world(services)
    await act_as(client, services, w.applicant)
    body, content_type = raw_multipart([
        ("title", "证据".encode(), None), ("kind", b"evidence", None),
        ("file", pdf(), "a.pdf"), ("visibility", b"mediator_only", None),
    ])
    response = await client.post(docs_url(w.case_id), content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "field_after_file"
    assert await document_count(services) == 0
    assert await blob_count(services) == 0


async def test_upload_without_a_file_or_as_json_is_refused(client: httpx.AsyncClient, services: Services) -> None:
    w = await make_world(services)
    await act_as(client, services, w.applicant)
    no_file = await client.post(docs_url(w.case_id), data={"title": "x", "kind": "evidence"},
                                files={"other": ("a.txt", b"x")})
    assert no_file.status_code == 400
    as_json = await client.post(docs_url(w.case_id), json={"title": "x"})
    assert as_json.status_code == 415
