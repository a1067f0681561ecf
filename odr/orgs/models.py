"""Courts and institutions are core data: cases, users and meetings point at them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, text
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
    # Jurisdiction over judicial confirmation (L22), as registry data read by
    # agreements.confirmation.jurisdiction: the districts (zh names as addresses
    # write them, e.g. "黄浦区") whose parties, property or institutions the court
    # serves; whether it sits at intermediate rank (an intermediate court, or a
    # specialised court of that rank such as the Shanghai Financial Court); and,
    # for intermediate rank, the disputes it takes at first instance: rules
    # {"categories": [...] ([] = any), "min_claim_fen": int | null (null = the
    # intermediate_court_threshold_fen setting; 0 = at any sum)}.
    districts: Mapped[list[str]] = mapped_column(
        JSONType, default=list, server_default=text("'[]'")
    )
    intermediate_rank: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    jurisdiction: Mapped[list[dict[str, object]]] = mapped_column(
        JSONType, default=list, server_default=text("'[]'")
    )
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
