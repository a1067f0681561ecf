"""The institution admin's API: mediator profiles, hours, leave, conflicts, status, queue, batch.

Every route names its permission (``odr.policy``, ``MEDIATOR_*`` and
``ASSIGNMENT_QUEUE``); the service decides it on a ``MediatorView`` (the
mediator and its institution), so an admin manages its own institution only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mediators import accounts, profiles
from mediators.accounts import MediatorAccountIn
from mediators.batch import run_batch
from mediators.models import Assignment, AssignmentStatus, MediatorProfile, QueueItem
from mediators.roster import full_profile
from mediators.schemas import (
    AssignmentStatusQuery,
    AvailabilityIn,
    BatchIn,
    BatchOut,
    ConflictIn,
    LeaveIn,
    MediatorAssignmentList,
    MediatorAssignmentOut,
    ProfileIn,
    ProfileList,
    ProfileOut,
    ProfilePatch,
    QueueItemOut,
    QueueList,
    StatusIn,
    StatusOut,
)
from odr.accounts.models import User
from odr.cases.deadlines.service import DeadlineKind, find_live_deadline
from odr.cases.models import Case
from odr.cases.transitions import Who
from odr.http.api import endpoint, ok, services_of
from odr.policy import Actor, MediatorView, Permission, authorize

TAGS = ("mediators",)


def _id(request: Request, name: str) -> int:
    return int(request.path_params[name])


async def _profile_out(request: Request, user_id: int) -> ProfileOut:
    services = services_of(request)
    async with services.db.reader() as uow:
        profile = await profiles.load_profile(uow, user_id)
        return ProfileOut.model_validate(await full_profile(uow.session, profile, services.clock.now()))


@endpoint(permission=Permission.MEDIATOR_READ, resp=ProfileList, tags=TAGS)
async def list_profiles(request: Request, actor: Actor) -> Response:
    """Every mediator of the institution with capacity, load, hours, leave, conflicts, outcomes."""
    services = services_of(request)
    institution_id = _id(request, "institution_id")
    authorize(actor, Permission.MEDIATOR_READ, MediatorView(institution_id=institution_id))
    async with services.db.reader() as uow:
        found = (await uow.session.execute(
            select(MediatorProfile).where(MediatorProfile.institution_id == institution_id)
            .order_by(MediatorProfile.user_id)
        )).scalars().all()
        now = services.clock.now()
        items = [ProfileOut.model_validate(await full_profile(uow.session, p, now)) for p in found]
    return ok(ProfileList(items=items))


@endpoint(permission=Permission.MEDIATOR_MANAGE, json=ProfileIn, resp=ProfileOut, status=201,
          tags=TAGS)
async def create_profile(request: Request, actor: Actor, json: ProfileIn) -> Response:
    """Publish a mediator account of the institution on the roster, with its specialties (L4)."""
    values = json.model_dump()
    values["specialties"] = [str(s) for s in json.specialties]
    profile = await profiles.create_profile(services_of(request), actor,
                                            _id(request, "institution_id"), values)
    return ok(await _profile_out(request, profile.user_id), 201)


@endpoint(permission=Permission.MEDIATOR_MANAGE, json=MediatorAccountIn, resp=ProfileOut,
          status=201, tags=TAGS)
async def create_mediator_account(request: Request, actor: Actor, json: MediatorAccountIn) -> Response:
    """Open a mediator account of the institution with its roster profile; the mediator sets
    its own password by a code to its mobile (the admin never knows it)."""
    profile = await accounts.create_mediator_account(
        services_of(request), actor, _id(request, "institution_id"), json
    )
    return ok(await _profile_out(request, profile.user_id), 201)


@endpoint(permission=Permission.MEDIATOR_READ, resp=ProfileOut, tags=TAGS)
async def get_profile(request: Request, actor: Actor) -> Response:
    user_id = _id(request, "mediator_id")
    async with services_of(request).db.reader() as uow:
        await profiles.authorized_profile(uow, actor, user_id, Permission.MEDIATOR_READ)
    return ok(await _profile_out(request, user_id))


@endpoint(permission=Permission.MEDIATOR_MANAGE, json=ProfilePatch, resp=ProfileOut, tags=TAGS)
async def update_profile(request: Request, actor: Actor, json: ProfilePatch) -> Response:
    values: dict[str, Any] = {k: getattr(json, k) for k in json.model_fields_set}
    if "specialties" in values:
        values["specialties"] = [str(s) for s in values["specialties"]]
    user_id = _id(request, "mediator_id")
    await profiles.update_profile(services_of(request), actor, user_id, values)
    return ok(await _profile_out(request, user_id))


@endpoint(permission=Permission.MEDIATOR_SELF_UPDATE, json=AvailabilityIn, resp=ProfileOut, tags=TAGS)
async def set_availability(request: Request, actor: Actor, json: AvailabilityIn) -> Response:
    """Replace the weekly hours (Asia/Shanghai); no window at all means every day."""
    user_id = _id(request, "mediator_id")
    await profiles.set_availability(services_of(request), actor, user_id,
                                    [w.minutes() for w in json.windows])
    return ok(await _profile_out(request, user_id))


@endpoint(permission=Permission.MEDIATOR_SELF_UPDATE, json=LeaveIn, resp=ProfileOut, status=201,
          tags=TAGS)
async def add_leave(request: Request, actor: Actor, json: LeaveIn) -> Response:
    user_id = _id(request, "mediator_id")
    await profiles.add_leave(services_of(request), actor, user_id, starts_on=json.starts_on,
                             ends_on=json.ends_on, reason=json.reason)
    return ok(await _profile_out(request, user_id), 201)


@endpoint(permission=Permission.MEDIATOR_SELF_UPDATE, resp=ProfileOut, tags=TAGS)
async def cancel_leave(request: Request, actor: Actor) -> Response:
    user_id = _id(request, "mediator_id")
    await profiles.cancel_leave(services_of(request), actor, user_id, _id(request, "leave_id"))
    return ok(await _profile_out(request, user_id))


@endpoint(permission=Permission.MEDIATOR_SELF_UPDATE, json=ConflictIn, resp=ProfileOut, status=201,
          tags=TAGS)
async def declare_conflict(request: Request, actor: Actor, json: ConflictIn) -> Response:
    """A person or organisation the mediator will not mediate for or against (L7)."""
    user_id = _id(request, "mediator_id")
    await profiles.declare_conflict(services_of(request), actor, user_id, kind=json.kind,
                                    name=json.name, id_doc_number=json.id_doc_number, note=json.note)
    return ok(await _profile_out(request, user_id), 201)


@endpoint(permission=Permission.MEDIATOR_SELF_UPDATE, resp=ProfileOut, tags=TAGS)
async def withdraw_conflict(request: Request, actor: Actor) -> Response:
    user_id = _id(request, "mediator_id")
    await profiles.withdraw_conflict(services_of(request), actor, user_id,
                                     _id(request, "declaration_id"))
    return ok(await _profile_out(request, user_id))


@endpoint(permission=Permission.MEDIATOR_MANAGE, json=StatusIn, resp=StatusOut, tags=TAGS)
async def set_status(request: Request, actor: Actor, json: StatusIn) -> Response:
    """Activate, suspend, or record that the mediator left: its open cases are handed on."""
    user_id = _id(request, "mediator_id")
    handed = await profiles.set_status(services_of(request), actor, user_id, status=json.status,
                                       reason=json.reason)
    return ok(StatusOut(profile=await _profile_out(request, user_id), cases_handed_on=handed))


@endpoint(permission=Permission.MEDIATOR_READ, query=AssignmentStatusQuery,
          resp=MediatorAssignmentList, tags=TAGS)
async def mediator_assignments(request: Request, actor: Actor, query: AssignmentStatusQuery) -> Response:
    """The mediator's assignments (its workspace): each with its case and, while it waits for
    an answer, the L6 deadline to accept or decline."""
    from mediators.case_routes import assignment_out  # shared shape

    user_id = _id(request, "mediator_id")
    async with services_of(request).db.reader() as uow:
        await profiles.authorized_profile(uow, actor, user_id, Permission.MEDIATOR_READ)
        stmt = (
            select(Assignment, User.real_name, Case)
            .join(User, User.id == Assignment.mediator_id)
            .join(Case, Case.id == Assignment.case_id)
            .where(Assignment.mediator_id == user_id)
        )
        if query.status is not None:
            stmt = stmt.where(Assignment.status == query.status)
        rows = (await uow.session.execute(stmt.order_by(Assignment.id.desc()).limit(500))).all()
        items = []
        for a, name, case in rows:
            due = None
            if a.status == AssignmentStatus.PENDING:
                due = await find_live_deadline(uow, case.id, DeadlineKind.MEDIATOR_ACCEPTANCE)
            items.append(MediatorAssignmentOut(
                **assignment_out(a, name, explain=False).model_dump(),
                case_number=case.number, case_title=case.title, case_category=case.category,
                case_status=case.status, respond_by=due.due_at if due else None,
                respond_by_day=due.last_day if due else None,
            ))
    return ok(MediatorAssignmentList(items=items))


@endpoint(permission=Permission.ASSIGNMENT_QUEUE, resp=QueueList, tags=TAGS)
async def assignment_queue(request: Request, actor: Actor) -> Response:
    """Cases no rule could assign, with the reason, oldest first."""
    institution_id = _id(request, "institution_id")
    authorize(actor, Permission.ASSIGNMENT_QUEUE, MediatorView(institution_id=institution_id))
    async with services_of(request).db.reader() as uow:
        rows = (await uow.session.execute(
            select(QueueItem, Case.number, Case.category).join(Case, Case.id == QueueItem.case_id)
            .where(QueueItem.institution_id == institution_id, QueueItem.resolved_at.is_(None))
            .order_by(QueueItem.created_at, QueueItem.id)
        )).all()
        items = [QueueItemOut(id=q.id, case_id=q.case_id, case_number=number, category=category,
                              institution_id=q.institution_id, reason_code=q.reason_code,
                              reason=q.reason, details=q.details, created_at=q.created_at)
                 for q, number, category in rows]
    return ok(QueueList(items=items))


@endpoint(permission=Permission.ASSIGNMENT_QUEUE, json=BatchIn, resp=BatchOut, tags=TAGS)
async def assignment_batch(request: Request, actor: Actor, json: BatchIn) -> Response:
    """Assign every waiting case of the institution at once (global optimisation); dry run shows it."""
    institution_id = _id(request, "institution_id")
    authorize(actor, Permission.ASSIGNMENT_QUEUE, MediatorView(institution_id=institution_id))
    report = await run_batch(services_of(request), institution_id=institution_id,
                             who=Who.of(actor), dry_run=json.dry_run)
    return ok(BatchOut.model_validate(report.as_dict()))


routes = [
    Route("/api/v1/institutions/{institution_id:int}/mediators", list_profiles, methods=["GET"]),
    Route("/api/v1/institutions/{institution_id:int}/mediators", create_profile, methods=["POST"]),
    Route("/api/v1/institutions/{institution_id:int}/mediator-accounts", create_mediator_account,
          methods=["POST"]),
    Route("/api/v1/institutions/{institution_id:int}/assignment-queue", assignment_queue,
          methods=["GET"]),
    Route("/api/v1/institutions/{institution_id:int}/assignment-batch", assignment_batch,
          methods=["POST"]),
    Route("/api/v1/mediators/{mediator_id:int}", get_profile, methods=["GET"]),
    Route("/api/v1/mediators/{mediator_id:int}", update_profile, methods=["PATCH"]),
    Route("/api/v1/mediators/{mediator_id:int}/availability", set_availability, methods=["PUT"]),
    Route("/api/v1/mediators/{mediator_id:int}/leaves", add_leave, methods=["POST"]),
    Route("/api/v1/mediators/{mediator_id:int}/leaves/{leave_id:int}", cancel_leave,
          methods=["DELETE"]),
    Route("/api/v1/mediators/{mediator_id:int}/conflicts", declare_conflict, methods=["POST"]),
    Route("/api/v1/mediators/{mediator_id:int}/conflicts/{declaration_id:int}", withdraw_conflict,
          methods=["DELETE"]),
    Route("/api/v1/mediators/{mediator_id:int}/status", set_status, methods=["POST"]),
    Route("/api/v1/mediators/{mediator_id:int}/assignments", mediator_assignments, methods=["GET"]),
]
