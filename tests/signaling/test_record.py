"""The session record (笔录) in versions, and undisputed facts both sides confirm (L11, L12)."""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from odr.audit.models import AuditEntry
from odr.meetings.models import FactConfirmation, SessionRecord, UndisputedFact
from odr.services import Services
from tests.conftest import LiveServer
from tests.signaling.support import join, let_in, make_room


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def test_the_session_record_keeps_versions_and_refuses_a_stale_edit_L12(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services, roles=["party"])
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, room.seats[0])
    try:
        await let_in(services, host, a, room.seats[0])
        first = await host.call("record.update", {"body": "调解员：双方确认借款事实。", "base_version": 0})
        assert first == {"ok": True, "version": 1, "sha256": sha("调解员：双方确认借款事实。")}
        second = await host.call("record.update", {"body": "第二稿", "base_version": 1})
        assert second["version"] == 2
        stale = await host.call("record.update", {"body": "旧稿上的修改", "base_version": 1})
        assert stale["ok"] is False and stale["error"]["code"] == "conflict"
        ack = await a.call("record.update", {"body": "我来写", "base_version": 2})
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
        assert (await host.wait("record", where=lambda r: r["version"] == 2))["sha256"] == sha("第二稿")
        async with services.db.reader() as uow:
            rows = (await uow.session.execute(
                select(SessionRecord.version, SessionRecord.sha256).order_by(SessionRecord.version))).all()
            audited = (await uow.session.execute(
                select(AuditEntry.action).where(AuditEntry.action == "meeting.record.update"))).scalars().all()
        assert rows == [(1, sha("调解员：双方确认借款事实。")), (2, sha("第二稿"))]
        assert len(audited) == 2
    finally:
        for client in (a, host):
            await client.close()


async def test_an_undisputed_fact_is_confirmed_when_both_sides_sign_its_exact_text_L11_L12(
    live_server: LiveServer, services: Services
) -> None:
    room = await make_room(services, roles=["party", "party"])
    a_seat, b_seat = room.seats
    host = await join(live_server.url, services, room, room.host)
    a = await join(live_server.url, services, room, a_seat)
    b = await join(live_server.url, services, room, b_seat)
    try:
        await let_in(services, host, a, a_seat)
        await let_in(services, host, b, b_seat)
        text = "被申请人于2026年3月1日向申请人借款人民币五万元。"
        ack = await a.call("fact.propose", {"text": "我说的都对"})
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"  # only the host proposes
        proposed = await host.call("fact.propose", {"text": text})
        assert proposed["ok"] and proposed["sha256"] == sha(text)
        fact_id = proposed["fact_id"]
        shown = await a.wait("fact")
        assert shown["text"] == text and shown["confirmed"] is False

        ack = await a.call("fact.confirm", {"fact_id": fact_id, "sha256": sha(text + "（修改）")})
        assert ack["ok"] is False and ack["error"]["code"] == "stale_text"
        assert (await a.call("fact.confirm", {"fact_id": fact_id, "sha256": sha(text)})) == {
            "ok": True, "confirmed": False}
        again = await a.call("fact.confirm", {"fact_id": fact_id, "sha256": sha(text)})
        assert again["ok"] is False and again["error"]["code"] == "conflict"
        ack = await host.call("fact.confirm", {"fact_id": fact_id, "sha256": sha(text)})
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"  # not a party
        assert (await b.call("fact.confirm", {"fact_id": fact_id, "sha256": sha(text)})) == {
            "ok": True, "confirmed": True}
        done = await host.wait("fact", where=lambda f: f["confirmed"])
        assert done["confirmed_sides"] == ["applicant", "respondent"]
        async with services.db.reader() as uow:
            fact = await uow.session.get(UndisputedFact, fact_id)
            assert fact is not None and fact.confirmed_at is not None
            signed = (await uow.session.execute(
                select(FactConfirmation.side, FactConfirmation.fact_sha256)
                .where(FactConfirmation.fact_id == fact_id).order_by(FactConfirmation.id))).all()
            actions = (await uow.session.execute(
                select(AuditEntry.action).where(AuditEntry.subject_type == "undisputed_fact"))).scalars().all()
        assert signed == [("applicant", sha(text)), ("respondent", sha(text))]
        assert actions == ["meeting.fact.propose", "meeting.fact.confirm", "meeting.fact.confirm",
                           "meeting.fact.confirmed"]
    finally:
        for client in (a, b, host):
            await client.close()
