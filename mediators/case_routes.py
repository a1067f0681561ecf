"""A case's mediator over HTTP: choose (L5), propose and designate, override, accept or
decline (L6), disclose and answer, ask for or refuse a replacement (L7), history with reasons."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mediators import answers, selection
from mediators.explain_codes import with_codes
from mediators.models import Assignment, ConflictDisclosure, DisclosureAnswer, MediatorChoice
from mediators.schemas import (
    AssignmentList,
    AssignmentOut,
    CandidateOut,
    CaseStatusOut,
    ChoiceIn,
    ChoiceOut,
    ChoicesOut,
    DeclineIn,
    DesignationIn,
    DesignationOut,
    DisclosureAnswerIn,
    DisclosureAnswerOut,
    DisclosureIn,
    DisclosureList,
    DisclosureOut,
    OverrideIn,
    ProposalOut,
    ReplacementIn,
)
from mediators.scoring import TIE_BREAK
from odr.accounts.models import User
from odr.cases.deadlines.service import DeadlineKind, find_live_deadline
from odr.cases.models import Case, CaseParty
from odr.cases.queries import case_view
from odr.db.uow import UnitOfWork
from odr.errors import NotFound
from odr.http.api import endpoint, ok, services_of
from odr.policy import Actor, Permission, authorize, decide

TAGS = ("assignment",)


def _case_id(request: Request) -> int:
    return int(request.path_params["case_id"])


def assignment_out(a: Assignment, name: str, *, explain: bool) -> AssignmentOut:
    return AssignmentOut(
        id=a.id, case_id=a.case_id, mediator_id=a.mediator_id, mediator_name=name,
        institution_id=a.institution_id, method=a.method, status=a.status, reason=a.reason,
        party_replacement=a.party_replacement, assigned_at=a.assigned_at,
        responded_at=a.responded_at, decline_reason=a.decline_reason, ended_at=a.ended_at,
        end_reason=a.end_reason, explanation=with_codes(a.explanation) if explain else None,
    )


async def _readable_case(request: Request, uow: UnitOfWork, actor: Actor) -> tuple[Case, bool]:
    """The case (read permission checked) and whether the actor may see explanations."""
    case = await uow.session.get(Case, _case_id(request))
    if case is None:
        raise NotFound("no such case")
    view = await case_view(uow.session, case, services_of(request).clock.now())
    authorize(actor, Permission.ASSIGNMENT_LIST, view)
    return case, bool(decide(actor, Permission.ASSIGNMENT_EXPLAIN, view))


async def _assignment_with_name(uow: UnitOfWork, assignment: Assignment | None, explain: bool) -> AssignmentOut | None:
    if assignment is None:
        return None
    name = (await uow.session.execute(
        select(User.real_name).where(User.id == assignment.mediator_id))).scalar_one()
    return assignment_out(assignment, name, explain=explain)


@endpoint(permission=Permission.ASSIGNMENT_LIST, resp=AssignmentList, tags=TAGS)
async def list_assignments(request: Request, actor: Actor) -> Response:
    """Every mediator the case had; with why each was chosen for institution and court staff."""
    async with services_of(request).db.reader() as uow:
        case, explain = await _readable_case(request, uow, actor)
        rows = (await uow.session.execute(
            select(Assignment, User.real_name).join(User, User.id == Assignment.mediator_id)
            .where(Assignment.case_id == case.id).order_by(Assignment.id)
        )).all()
        items = [assignment_out(a, name, explain=explain) for a, name in rows]
    return ok(AssignmentList(items=items))


async def _choices_out(request: Request, uow: UnitOfWork, case: Case) -> ChoicesOut:
    window = await find_live_deadline(uow, case.id, DeadlineKind.CHOOSE_MEDIATOR)
    rows = (await uow.session.execute(
        select(MediatorChoice, CaseParty.side).join(CaseParty, CaseParty.id == MediatorChoice.party_id)
        .where(MediatorChoice.case_id == case.id).order_by(MediatorChoice.at, MediatorChoice.id)
    )).all()
    parties = len((await uow.session.execute(
        select(CaseParty.id).where(CaseParty.case_id == case.id))).all())
    return ChoicesOut(
        window_open=window is not None, window_last_day=window.last_day if window else None,
        parties=parties,
        choices=[ChoiceOut(party_id=c.party_id, side=side, institution_id=c.institution_id,
                           mediator_id=c.mediator_id, at=c.at) for c, side in rows],
    )


@endpoint(permission=Permission.ASSIGNMENT_LIST, resp=ChoicesOut, tags=TAGS)
async def list_choices(request: Request, actor: Actor) -> Response:
    """The parties' choices so far and whether the L5 window is open."""
    async with services_of(request).db.reader() as uow:
        case, _ = await _readable_case(request, uow, actor)
        out = await _choices_out(request, uow, case)
    return ok(out)


@endpoint(permission=Permission.MEDIATOR_CHOOSE, json=ChoiceIn, resp=ChoicesOut, status=201,
          tags=TAGS)
async def choose(request: Request, actor: Actor, json: ChoiceIn) -> Response:
    """A party chooses an institution and mediator from the roster (L5); all alike: assigned."""
    services = services_of(request)
    result = await selection.choose(services, actor, _case_id(request), institution_id=json.institution_id,
                                    mediator_id=json.mediator_id, party_id=json.party_id)
    async with services.db.reader() as uow:
        case = await uow.session.get(Case, _case_id(request))
        assert case is not None
        out = await _choices_out(request, uow, case)
        out.assignment = await _assignment_with_name(uow, result.assignment, explain=False)
    return ok(out, 201)


@endpoint(permission=Permission.MEDIATOR_DESIGNATE, resp=ProposalOut, tags=TAGS)
async def proposal(request: Request, actor: Actor) -> Response:
    """The engine's ranking for staff: eligible mediators by cost, and why others are not."""
    _case, prop = await selection.proposal_for(services_of(request), actor, _case_id(request))
    names: dict[int, str] = {}
    ids = [s.mediator.user_id for s in prop.ranking.candidates]
    if ids:
        async with services_of(request).db.reader() as uow:
            names = dict((await uow.session.execute(
                select(User.id, User.real_name).where(User.id.in_(ids)))).tuples().all())
    return ok(ProposalOut(
        institution_id=prop.case.institution_id,
        institution=prop.institution.explanation if prop.institution else None,
        candidates=[CandidateOut(mediator_id=s.mediator.user_id, name=names.get(s.mediator.user_id, ""),
                                 cost=s.cost, parts=s.parts, load=s.mediator.load,
                                 capacity=s.mediator.capacity) for s in prop.ranking.candidates],
        refused={str(k): [str(r) for r in v] for k, v in prop.ranking.refused.items()},
        why_none=prop.ranking.why_none() if not prop.ranking.candidates else None,
        tie_break=TIE_BREAK,
    ))


@endpoint(permission=Permission.MEDIATOR_DESIGNATE, json=DesignationIn, resp=DesignationOut,
          tags=TAGS)
async def designate(request: Request, actor: Actor, json: DesignationIn) -> Response:
    """Staff designate (L5): the engine's best, or an eligible mediator they name."""
    services = services_of(request)
    assignment = await selection.designate(services, actor, _case_id(request),
                                           mediator_id=json.mediator_id,
                                           institution_id=json.institution_id, note=json.note)
    async with services.db.reader() as uow:
        out = await _assignment_with_name(uow, assignment, explain=True)
        queued = None
        if assignment is None:
            from mediators.models import QueueItem

            item = (await uow.session.execute(
                select(QueueItem).where(QueueItem.case_id == _case_id(request),
                                        QueueItem.resolved_at.is_(None)))).scalar_one_or_none()
            queued = item.reason if item else None
    return ok(DesignationOut(assigned=assignment is not None, assignment=out, queued_reason=queued))


@endpoint(permission=Permission.MEDIATOR_OVERRIDE, json=OverrideIn, resp=AssignmentOut, tags=TAGS)
async def override(request: Request, actor: Actor, json: OverrideIn) -> Response:
    """The institution admin overrides the assignment with a reason (audited)."""
    services = services_of(request)
    assignment = await selection.override(services, actor, _case_id(request),
                                          mediator_id=json.mediator_id, reason=json.reason)
    async with services.db.reader() as uow:
        out = await _assignment_with_name(uow, assignment, explain=True)
    assert out is not None
    return ok(out)


def _status(case: Case) -> CaseStatusOut:
    return CaseStatusOut(case_id=case.id, status=case.status, mediator_id=case.mediator_id)


@endpoint(permission=Permission.ASSIGNMENT_RESPOND, resp=CaseStatusOut, tags=TAGS)
async def accept(request: Request, actor: Actor) -> Response:
    """The assigned mediator accepts (L6); the mediation period starts (L13)."""
    return ok(_status(await answers.accept(services_of(request), actor, _case_id(request))))


@endpoint(permission=Permission.ASSIGNMENT_RESPOND, json=DeclineIn, resp=CaseStatusOut, tags=TAGS)
async def decline(request: Request, actor: Actor, json: DeclineIn) -> Response:
    """The assigned mediator declines with a reason (L6); another is assigned automatically."""
    case = await answers.decline(services_of(request), actor, _case_id(request), reason=json.reason)
    return ok(_status(case))


async def _disclosure_out(uow: UnitOfWork, d: ConflictDisclosure) -> DisclosureOut:
    rows = (await uow.session.execute(
        select(DisclosureAnswer).where(DisclosureAnswer.disclosure_id == d.id)
        .order_by(DisclosureAnswer.id))).scalars()
    return DisclosureOut(
        id=d.id, case_id=d.case_id, mediator_id=d.mediator_id, statement=d.statement,
        status=d.status, created_at=d.created_at, resolved_at=d.resolved_at,
        answers=[DisclosureAnswerOut(party_id=a.party_id, agree=a.agree, reason=a.reason, at=a.at)
                 for a in rows],
    )


@endpoint(permission=Permission.ASSIGNMENT_LIST, resp=DisclosureList, tags=TAGS)
async def list_disclosures(request: Request, actor: Actor) -> Response:
    async with services_of(request).db.reader() as uow:
        case, _ = await _readable_case(request, uow, actor)
        found = (await uow.session.execute(
            select(ConflictDisclosure).where(ConflictDisclosure.case_id == case.id)
            .order_by(ConflictDisclosure.id))).scalars().all()
        items = [await _disclosure_out(uow, d) for d in found]
    return ok(DisclosureList(items=items))


@endpoint(permission=Permission.CONFLICT_DISCLOSE, json=DisclosureIn, resp=DisclosureOut, status=201,
          tags=TAGS)
async def disclose(request: Request, actor: Actor, json: DisclosureIn) -> Response:
    """The mediator discloses a possible conflict; mediation continues only if every party agrees (L7)."""
    services = services_of(request)
    d = await answers.disclose(services, actor, _case_id(request), statement=json.statement)
    async with services.db.reader() as uow:
        out = await _disclosure_out(uow, d)
    return ok(out, 201)


@endpoint(permission=Permission.CONFLICT_ANSWER, json=DisclosureAnswerIn, resp=DisclosureOut,
          tags=TAGS)
async def answer_disclosure(request: Request, actor: Actor, json: DisclosureAnswerIn) -> Response:
    """A party agrees the mediator may continue, or refuses (the mediator is replaced, L7)."""
    services = services_of(request)
    d = await answers.answer_disclosure(services, actor, _case_id(request),
                                        int(request.path_params["disclosure_id"]), agree=json.agree,
                                        reason=json.reason, party_id=json.party_id)
    async with services.db.reader() as uow:
        fresh = await uow.session.get(ConflictDisclosure, d.id)
        assert fresh is not None
        out = await _disclosure_out(uow, fresh)
    return ok(out)


@endpoint(permission=Permission.MEDIATOR_REPLACE, json=ReplacementIn, resp=CaseStatusOut, tags=TAGS)
async def request_replacement(request: Request, actor: Actor, json: ReplacementIn) -> Response:
    """A party asks for another mediator (L7)."""
    case = await answers.request_replacement(services_of(request), actor, _case_id(request),
                                             reason=json.reason, party_id=json.party_id)
    return ok(_status(case))


@endpoint(permission=Permission.MEDIATOR_REPLACE, json=ReplacementIn, resp=CaseStatusOut, tags=TAGS)
async def refuse_replacement(request: Request, actor: Actor, json: ReplacementIn) -> Response:
    """Refusing the replacement mediator counts as refusing mediation: the case ends (L7)."""
    case = await answers.refuse_replacement(services_of(request), actor, _case_id(request),
                                            reason=json.reason, party_id=json.party_id)
    return ok(_status(case))


P = "/api/v1/cases/{case_id:int}"
routes = [
    Route(f"{P}/mediator-assignments", list_assignments, methods=["GET"]),
    Route(f"{P}/mediator-choices", list_choices, methods=["GET"]),
    Route(f"{P}/mediator-choices", choose, methods=["POST"]),
    Route(f"{P}/mediator-proposal", proposal, methods=["GET"]),
    Route(f"{P}/mediator-designation", designate, methods=["POST"]),
    Route(f"{P}/mediator-override", override, methods=["POST"]),
    Route(f"{P}/mediator-assignment/accept", accept, methods=["POST"]),
    Route(f"{P}/mediator-assignment/decline", decline, methods=["POST"]),
    Route(f"{P}/conflict-disclosures", list_disclosures, methods=["GET"]),
    Route(f"{P}/conflict-disclosures", disclose, methods=["POST"]),
    Route(f"{P}/conflict-disclosures/{{disclosure_id:int}}/answers", answer_disclosure,
          methods=["POST"]),
    Route(f"{P}/mediator-replacement", request_replacement, methods=["POST"]),
    Route(f"{P}/mediator-replacement/refusal", refuse_replacement, methods=["POST"]),
]
