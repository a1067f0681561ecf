"""Request and response bodies of the thread API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from odr.cases.messages.models import Addressee, ComplaintAbout, ThreadKind
from odr.http.api import StrictModel

MAX_BODY = 10_000
MAX_ATTACHMENTS = 20


class ThreadCreate(StrictModel):
    """A party writes ``to`` the case's staff; staff write to one party (``party_id``).

    Staff threads are messages only; their ``to`` is the writer's own group
    (mediator, institution, judge), by default the one the writer belongs to.
    """

    kind: ThreadKind = ThreadKind.MESSAGE
    to: Addressee | None = None
    party_id: int | None = Field(default=None, description="staff only: the party written to")
    about: ComplaintAbout | None = None  # complaints: the mediator, or the service
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=MAX_BODY)
    attachment_ids: list[int] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)


class MessageCreate(StrictModel):
    body: str = Field(min_length=1, max_length=MAX_BODY)
    attachment_ids: list[int] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)


class AttachmentOut(BaseModel):
    document_id: int
    title: str
    filename: str
    content_type: str
    size: int
    content_url: str  # downloads through the thread (its readers only)


class MessageOut(BaseModel):
    id: int
    author_label: str
    from_staff: bool
    mine: bool
    body: str
    created_at: datetime
    attachments: list[AttachmentOut]


class ThreadOut(BaseModel):
    id: int
    case_id: int
    kind: str
    to: str
    about: str | None
    subject: str
    side: str
    status: str  # awaiting_reply | answered
    reply_due_at: datetime | None  # the open reply deadline, if staff have not answered yet
    escalated: bool
    escalated_to: str | None
    # Shown to institution and court staff only; null for everyone else.
    supervision: bool | None
    supervision_of_id: int | None
    created_at: datetime
    last_message_at: datetime


class ThreadList(BaseModel):
    items: list[ThreadOut]


class ThreadDetail(ThreadOut):
    messages: list[MessageOut]
