"""Rules of the platform core: public pages, accounts, audit, case lists, uploads."""

from __future__ import annotations

from odr.accounts.models import Role
from odr.policy.core import Rule, anyone, case_read, role_in, signed_in
from odr.policy.permissions import Permission

PLATFORM_RULES: dict[Permission, Rule] = {
    Permission.PUBLIC_READ: anyone,
    Permission.ACCOUNT_REGISTER: anyone,
    Permission.ACCOUNT_LOGIN: anyone,
    Permission.ACCOUNT_RECOVER: anyone,
    Permission.ACCOUNT_OTP: anyone,
    Permission.SELF_READ: signed_in,
    Permission.SELF_UPDATE: signed_in,
    Permission.SELF_VERIFY_IDENTITY: signed_in,
    Permission.SELF_REAUTHENTICATE: signed_in,
    Permission.SELF_NOTIFICATIONS: signed_in,
    Permission.RTC_ICE_SERVERS: signed_in,  # odr.rtc: TURN credentials only for accounts
    Permission.USER_CREATE: role_in(Role.ADMIN),
    Permission.USER_LIST: role_in(Role.ADMIN),
    Permission.AUDIT_READ: role_in(Role.ADMIN),
    Permission.CASE_LIST: signed_in,
    Permission.CASE_READ: case_read,
    Permission.STORAGE_UPLOAD: role_in(
        Role.PARTY, Role.AGENT, Role.MEDIATOR, Role.INSTITUTION_ADMIN, Role.JUDGE, Role.CLERK
    ),
}

PLATFORM_OBJECT_PERMISSIONS: frozenset[Permission] = frozenset({Permission.CASE_READ})
