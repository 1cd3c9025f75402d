"""What the app lifespan owns, reachable from every request as ``request.app.state.openfdp``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from graph_service.api.access import MembershipCache
from graph_service.api.audit import AuditTrail
from graph_service.api.metrics import Metrics
from graph_service.settings import Settings
from neo4j import AsyncDriver


@dataclass
class AppState:
    settings: Settings
    driver: AsyncDriver
    audit: AuditTrail
    metrics: Metrics
    memberships: MembershipCache


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.openfdp
    return state
