"""Imports every part's models so metadata (and Alembic) sees all tables."""

from odr.accounts import models as accounts_models
from odr.audit import models as audit_models
from odr.cases import models as cases_models
from odr.db.base import Base
from odr.notify import models as notify_models
from odr.orgs import models as orgs_models
from odr.outbox import models as outbox_models
from odr.storage import models as storage_models

__all__ = [
    "Base",
    "accounts_models",
    "audit_models",
    "cases_models",
    "notify_models",
    "orgs_models",
    "outbox_models",
    "storage_models",
]
