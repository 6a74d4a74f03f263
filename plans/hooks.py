"""What plans/ does when an incident is declared, registered by the composition root."""

from __future__ import annotations

from core.incidents.dispatch_contact import on_visit_report
from core.incidents.hooks import on_activation
from plans import (
    escalate,  # noqa: F401  (registers the "chain.escalate" timer handler)
    overdue,  # noqa: F401  (registers the "chain.deadline" timer handler)
)
from plans.activation import activation_hook
from plans.chain import open_chain
from plans.visit_reports import report_visit


def register() -> None:
    """On declaration: record the plan versions, then open the check-in chain (which reads
    them). Registration is idempotent."""
    on_activation(activation_hook)
    on_activation(open_chain)
    on_visit_report(report_visit)  # a volunteer's visit reports go to the chain
