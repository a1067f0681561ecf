"""Imports every part's models so metadata (and Alembic) sees all tables."""

from agreements import models as agreements_models
from mediators import models as mediators_models
from odr.accounts import models as accounts_models
from odr.audit import models as audit_models
from odr.calendar import models as calendar_models
from odr.cases import models as cases_models
from odr.cases.deadlines import models as case_deadlines_models
from odr.cases.documents import models as case_documents_models
from odr.cases.ending import models as case_ending_models
from odr.cases.messages import models as case_messages_models
from odr.cases.parties import models as case_parties_models
from odr.cases.progress import models as case_progress_models
from odr.db.base import Base
from odr.eservice import models as eservice_models
from odr.meetings import models as meetings_models
from odr.notify import models as notify_models
from odr.orgs import models as orgs_models
from odr.outbox import models as outbox_models
from odr.storage import models as storage_models

__all__ = [
    "Base",
    "accounts_models",
    "agreements_models",
    "audit_models",
    "calendar_models",
    "case_deadlines_models",
    "case_documents_models",
    "case_ending_models",
    "case_messages_models",
    "case_parties_models",
    "case_progress_models",
    "cases_models",
    "eservice_models",
    "mediators_models",
    "meetings_models",
    "notify_models",
    "orgs_models",
    "outbox_models",
    "storage_models",
]
