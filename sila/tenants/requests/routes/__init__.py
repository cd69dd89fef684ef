"""The request area's pages, one module a job: the public online form (`apply`) and tracking
(`track`); the staff's queue (`queue`), intake (`intake`), the request page (`request_page`) and
the one route of every workflow action (`actions`). The committee's pages: sila/tenants/committee."""
from __future__ import annotations

from sila.tenants.requests.routes.actions import ActionRoutes
from sila.tenants.requests.routes.apply import ApplyRoutes
from sila.tenants.requests.routes.intake import IntakeRoutes
from sila.tenants.requests.routes.queue import QueueRoutes
from sila.tenants.requests.routes.request_page import RequestPageRoutes
from sila.tenants.requests.routes.track import TrackRoutes

HANDLERS = [ApplyRoutes, TrackRoutes, QueueRoutes, IntakeRoutes, RequestPageRoutes, ActionRoutes]
