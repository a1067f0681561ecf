"""Install every part's transition hooks (``odr.cases.transitions.on_transition``).

Hooks register when their module is imported; the composition root calls
``install()`` (``transition`` does, on first use) so a hook never depends on import order by accident.
Add the modules that register hooks to ``HOOK_MODULES``.
"""

from __future__ import annotations

import importlib

HOOK_MODULES: tuple[str, ...] = (
    "odr.cases.deadlines.hooks",  # L5, L6, L13, L14 clocks and missed-deadline consequences
    "odr.cases.parties.hooks",
    "odr.cases.progress.issue",  # L3: query passwords issued at acceptance
    "odr.cases.messages.deadlines",  # thread reply deadlines: reminders and escalation
    "odr.eservice.hooks",  # notices: accepted, rejected, mediator assigned, outcome
    "odr.cases.ending.hooks",  # L14: ground, consequence by channel, transfer package (L11)
    "mediators.hooks",  # L6, L7: assignments end, slots free, reassignment queued (issue 4)
    "odr.meetings.hooks",  # issue 5: sessions of a case no longer in mediation are cancelled
    "agreements.performance.hooks",  # issue 7: performance items when an agreement takes effect
    "agreements.drafting.hooks",  # issue 7: open drafts abandoned when mediation ends
    "agreements.confirmation.court_deadlines",  # issue 7: L25 acceptance/decision clocks, L27
    "agreements.confirmation.hooks",  # issue 7: L21 confirmation window, lapse of unjoined applications
)

_installed = False


def install() -> None:
    """Import every hook module once (called by ``transition`` before it runs hooks)."""
    global _installed
    if _installed:
        return
    for name in HOOK_MODULES:
        importlib.import_module(name)
    _installed = True
