"""What the app lifespan owns, reachable from every request as ``request.app.state.openfdp``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from neo4j import AsyncDriver
from openfdp.api.metrics import Metrics
from openfdp.services.access import MembershipCache
from openfdp.services.answer_cache import AnswerCache
from openfdp.services.audit import AuditTrail
from openfdp.settings import Settings


@dataclass
class AppState:
    settings: Settings
    driver: AsyncDriver
    audit: AuditTrail
    metrics: Metrics
    memberships: MembershipCache
    answers: AnswerCache


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.openfdp
    return state
