"""Courts and institutions are core data: cases, users and meetings point at them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from odr.db.base import Base
from odr.db.types import JSONType


class CourtLevel(StrEnum):
    BASIC = "basic"
    INTERMEDIATE = "intermediate"
    HIGH = "high"
    SPECIALIZED = "specialized"


class InstitutionKind(StrEnum):
    PEOPLES_MEDIATION_COMMITTEE = "peoples_mediation_committee"
    INDUSTRY_MEDIATION_CENTRE = "industry_mediation_centre"
    COMMERCIAL = "commercial"


class Court(Base):
    __tablename__ = "courts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    district: Mapped[str] = mapped_column(String(64), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime]


class Institution(Base):
    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    categories: Mapped[list[str]] = mapped_column(JSONType, default=list)
    district: Mapped[str] = mapped_column(String(64), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    charges_fees: Mapped[bool] = mapped_column(default=False)
    inviting_court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id"))
    description_zh: Mapped[str] = mapped_column(String(2000), default="")
    description_en: Mapped[str] = mapped_column(String(2000), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
