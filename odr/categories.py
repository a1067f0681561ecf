"""Vocabulary shared by institutions and cases."""

from enum import StrEnum


class DisputeCategory(StrEnum):
    FINANCIAL_CONSUMER = "financial_consumer"
    BANKING = "banking"
    INSURANCE = "insurance"
    SECURITIES = "securities"
    CAPITAL_MARKET = "capital_market"
    COMMERCIAL_TRADE = "commercial_trade"
    FINANCIAL_LEASING = "financial_leasing"
    PRIVATE_ENTERPRISE = "private_enterprise"
    GENERAL_CIVIL = "general_civil"
