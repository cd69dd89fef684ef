"""Policy pages: configuration, approval, publishing and history for the tenant admin
(`/portal/policy/…`: editor.py, with the request form's questions in form.py, the review window and
closures in window.py and the committee's rule in committee.py), documents for staff and the public
policy with its PDF and earlier versions (public.py), and importing the charity's own document
(imports.py)."""
from __future__ import annotations

from sila.tenants.policy.routes.committee import CommitteeRuleRoutes
from sila.tenants.policy.routes.editor import PolicyRoutes
from sila.tenants.policy.routes.form import FormEditorRoutes
from sila.tenants.policy.routes.imports import PolicyImportRoutes
from sila.tenants.policy.routes.public import DocumentRoutes, PublicPolicyRoutes
from sila.tenants.policy.routes.window import WindowRoutes

HANDLERS = [PolicyRoutes, FormEditorRoutes, WindowRoutes, CommitteeRuleRoutes, DocumentRoutes, PublicPolicyRoutes,
            PolicyImportRoutes]
