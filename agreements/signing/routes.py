"""HTTP API of signing (issue 7 point 2): what I may sign, the code, the signature, its image.

Every handler loads the agreement's case, builds its policy view and asks
``authorize`` first; the service then checks the very party signed for.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agreements.models import Agreement, AgreementSignature, SignerRole
from agreements.signing.codes import send_sign_code, verified_mobile
from agreements.signing.images import SignatureImage, decode_signature_png
from agreements.signing.required import (
    SignatureState,
    case_party_ids,
    current_version,
    signable_parties,
    signature_state,
    signatures_of,
)
from agreements.signing.schemas import (
    SignatureIn,
    SignatureOut,
    SignCodeIn,
    SignCodeOut,
    SigningOut,
    StillNeeded,
)
from agreements.signing.service import (
    OPEN_STATUSES,
    PERMISSION_OF,
    SignRequest,
    content_problems,
    load_agreement_for_update,
    reauth_expires_at,
    require_open,
    sign,
)
from odr.accounts.identity import mask_mobile
from odr.cases.models import Case
from odr.cases.queries import case_view
from odr.cases.transitions import Who
from odr.db.uow import UnitOfWork
from odr.errors import Forbidden, NotFound, ValidationFailed
from odr.http.api import endpoint, ok, services_of
from odr.policy import Actor, CaseView, Permission, authorize, decide

TAGS = ("agreements",)


def _session_id(request: Request) -> int | None:
    value = getattr(request.state, "session_id", None)
    return value if isinstance(value, int) else None


async def _agreement(
    uow: UnitOfWork, request: Request, actor: Actor, permission: Permission
) -> tuple[Case, Agreement, CaseView]:
    agreement = await uow.session.get(Agreement, int(request.path_params["agreement_id"]))
    if agreement is None:
        raise NotFound("no such agreement", code="agreement_not_found")
    case = await uow.session.get(Case, agreement.case_id)
    assert case is not None
    view = await case_view(uow.session, case, services_of(request).clock.now())
    authorize(actor, permission, view)
    return case, agreement, view


def _missing(state: SignatureState) -> list[StillNeeded]:
    return [StillNeeded.model_validate(m) for m in state.missing]


@endpoint(permission=Permission.AGREEMENT_READ, resp=SigningOut, tags=TAGS)
async def get_signing(request: Request, actor: Actor) -> Response:
    services = services_of(request)
    now = services.clock.now()
    async with services.db.reader() as uow:
        case, agreement, view = await _agreement(uow, request, actor, Permission.AGREEMENT_READ)
        version = await current_version(uow.session, agreement)
        party_ids = await case_party_ids(uow.session, case.id)
        state = signature_state(party_ids, await signatures_of(uow.session, agreement.id), version)
        is_open = agreement.status in OPEN_STATUSES and agreement.kind == "written"

        def may(role: SignerRole) -> bool:
            return is_open and bool(decide(actor, PERMISSION_OF[role], view))

        signable = (
            await signable_parties(uow.session, case.id, actor.user_id, now)
            if may(SignerRole.PARTY) else {}
        )
        expires = await reauth_expires_at(uow, services, _session_id(request), actor.user_id)
        found = content_problems(version, case, party_ids, now) if is_open else []
    body = SigningOut(
        agreement_id=agreement.id, status=agreement.status, version=version.number,
        content_sha256=version.content_sha256,
        can_sign_for=[p for p in party_ids if p in signable and p not in state.signed_party_ids],
        as_mediator=may(SignerRole.MEDIATOR) and not state.mediator_signed,
        as_seal=may(SignerRole.SEAL) and not state.sealed,
        reauth_fresh=expires is not None and expires > now, reauth_expires_at=expires,
        signed_party_ids=sorted(state.signed_party_ids), mediator_signed=state.mediator_signed,
        seal_applied=state.sealed, missing=_missing(state), problems=found,
    )
    return ok(body)


@endpoint(permission=Permission.AGREEMENT_SIGN, json=SignCodeIn, resp=SignCodeOut, tags=TAGS)
async def send_code(request: Request, actor: Actor, json: SignCodeIn) -> Response:
    """A one-time code to the signer's own verified mobile (Purpose ``agreement_sign``)."""
    services = services_of(request)
    now = services.clock.now()
    async with services.db.uow() as uow:
        case, agreement = await load_agreement_for_update(uow, int(request.path_params["agreement_id"]))
        view = await case_view(uow.session, case, now)
        authorize(actor, PERMISSION_OF[json.role], view)
        require_open(agreement)
        if json.role == SignerRole.PARTY:
            signable = await signable_parties(uow.session, case.id, actor.user_id, now)
            if not signable or (json.party_id is not None and json.party_id not in signable):
                raise Forbidden("you may not sign for this party", code="not_your_party",
                                details={"party_id": json.party_id})
        assert actor.user_id is not None
        mobile, _locale = await verified_mobile(uow, actor.user_id)
        expires_in = await send_sign_code(
            uow, services, user_id=actor.user_id, agreement_id=agreement.id,
            label=Who.of(actor).label,
        )
    return ok(SignCodeOut(sent=True, expires_in=expires_in, mobile=mask_mobile(mobile)))


@endpoint(permission=Permission.AGREEMENT_SIGN, json=SignatureIn, resp=SignatureOut, status=201,
          tags=TAGS)
async def post_signature(request: Request, actor: Actor, json: SignatureIn) -> Response:
    """Sign the current version (or apply the seal); the last one makes it effective (L16)."""
    services = services_of(request)
    image: SignatureImage | ValidationFailed | None = None
    if json.role != SignerRole.SEAL:
        try:  # decoded before the transaction; refused in its place in the order of checks
            image = decode_signature_png(json.signature_png)
        except ValidationFailed as exc:
            image = exc
    req = SignRequest(
        role=json.role, party_id=json.party_id, version=json.version,
        content_sha256=json.content_sha256, code=json.code, image=image,
        device_id=json.device_id, client_ip=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""), session_id=_session_id(request),
    )
    done = await sign(services, actor, int(request.path_params["agreement_id"]), req)
    sig, agreement = done.signature, done.agreement
    return ok(SignatureOut(
        id=sig.id, agreement_id=agreement.id, role=sig.role,  # type: ignore[arg-type]
        party_id=sig.party_id, version=sig.version_number, content_sha256=sig.content_sha256,
        signer_user_id=sig.signer_user_id, signed_at=sig.signed_at,
        image_url=_image_url(sig), agreement_status=agreement.status,
        effective=done.became_effective, effective_at=agreement.effective_at,
        missing=_missing(done.state),
    ), 201)


def _image_url(sig: AgreementSignature) -> str | None:
    if sig.image_sha256 is None:
        return None
    return f"/api/v1/agreements/{sig.agreement_id}/signatures/{sig.id}/image"


@endpoint(permission=Permission.AGREEMENT_READ, tags=TAGS)
async def get_signature_image(request: Request, actor: Actor) -> Response:
    """The drawn signature (PNG): participants and staff of the case."""
    services = services_of(request)
    async with services.db.reader() as uow:
        _case, agreement, _view = await _agreement(uow, request, actor, Permission.AGREEMENT_READ)
        sig = await uow.session.get(AgreementSignature, int(request.path_params["signature_id"]))
        if sig is None or sig.agreement_id != agreement.id or sig.image_sha256 is None:
            raise NotFound("no such signature image", code="signature_not_found")
        sha = sig.image_sha256
    data = await services.storage.get_bytes(sha)
    return Response(data, media_type="image/png", headers={
        "Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
    })


routes = [
    Route("/api/v1/agreements/{agreement_id:int}/signing", get_signing, methods=["GET"]),
    Route("/api/v1/agreements/{agreement_id:int}/signing/code", send_code, methods=["POST"]),
    Route("/api/v1/agreements/{agreement_id:int}/signatures", post_signature, methods=["POST"]),
    Route("/api/v1/agreements/{agreement_id:int}/signatures/{signature_id:int}/image",
          get_signature_image, methods=["GET"]),
]
