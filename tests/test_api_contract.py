"""Contract tests of /api/v1 with Schemathesis (property-based, from the OpenAPI document the app
generates): for every operation, generated inputs never get a 500, every answer's status, content
type and body match the document, and no operation but the public policy answers without a key
(Schemathesis' ignored_auth check sends each one without, and with a wrong key)."""
from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks as st_checks

from support import data
from support.servers import Server, run_async

CHECKS = [st_checks.not_a_server_error, st_checks.status_code_conformance, st_checks.content_type_conformance,
          st_checks.response_schema_conformance, st_checks.response_headers_conformance, st_checks.ignored_auth]


@pytest.fixture(scope="module")
def api_schema(server: Server) -> Any:
    from sila.platform.app import create_app
    from sila.platform.settings import get_settings

    spec = create_app(get_settings()).openapi_schema.to_schema()
    return schemathesis.openapi.from_dict(spec)


@pytest.fixture(scope="module")
def keyed(server: Server) -> dict[str, str]:
    """A tenant with a published policy, a served request and a key with every scope."""
    from sila.platform.actors import Actor
    from sila.tenants.api import forms, services

    async def make() -> dict[str, str]:
        tenant = await data.create_tenant()
        await data.publish_seed_policy(tenant, steps=data.SERVICE_STEPS, channels=["website", "phone"], window=None)
        served = await data.served_request(tenant, await data.create_staff(tenant, "relations_officer"))
        _, key = await services.create_key(tenant.id, name="contract", scopes=list(forms.SCOPES), expires_on=None,
                                           actor=Actor(None, "test", frozenset()))
        return {"Host": server.host(tenant.slug), "Authorization": f"Bearer {key}",
                "request_id": str(served["id"]), "beneficiary_id": str(served["beneficiary"])}

    return run_async(make())


def test_every_operation_keeps_its_contract(api_schema: Any, server: Server, keyed: dict[str, str]) -> None:
    """Each operation of the document, with Hypothesis-generated inputs (Schemathesis' strategies)."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 11
    seen: dict[str, set[int]] = {}
    known = {k: keyed[k] for k in ("request_id", "beneficiary_id")}
    headers = {k: keyed[k] for k in ("Host", "Authorization")}
    for operation in operations:
        seen[operation.label] = set()

        @given(case=operation.as_strategy(), real=st.booleans())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: Any, real: bool) -> None:
            if real and case.path_parameters:  # half the time a row that exists, else whatever was generated
                case.path_parameters = {k: known[k] for k in case.path_parameters}
            response = case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS)
            seen[case.operation.label].add(response.status_code)

        check()
    print(seen)
    # The generated inputs reached the handlers, not only the refusals.
    assert all(any(c < 300 for c in codes) for label, codes in seen.items() if label.startswith("GET")), seen
    # A write that must succeed, held to the same checks: generated bodies reach a 201 only by
    # chance (25 examples, half of them on an unknown request), so one valid body is written here.
    [record] = [op for op in operations if op.label == "POST /api/v1/requests/{request_id}/services"]
    case = record.Case(path_parameters={"request_id": keyed["request_id"]}, media_type="application/json",
                       body={"service_type": "سلة غذائية", "delivered_on": "2026-11-26", "amount": "350"})
    assert case.call_and_validate(base_url=server.url, headers=headers, checks=CHECKS).status_code == 201
