"""Support requests through the real pages: the online form, staff intake, workflow actions."""
from __future__ import annotations

import re
from typing import Any

from support.data import valid_id
from support.db import scalar, stage_of

PDF = ("id.pdf", b"%PDF-1.4\n% test document\n", "application/pdf")


NAME = "سارة عبدالله القحطاني"


CHANNELS = ["interview", "virtual_interview", "phone", "social_media", "letters", "assistance_request", "website",
            "branch_representatives"]


def online(client: Any, *, files: Any = None, token: str | None = None, **fields: str):
    page = client.get("/apply")
    assert page.status_code == 200, page.text[-2000:]
    data = {"submit_token": token or re.search(r'name="submit_token" value="([^"]+)"', page.text).group(1),
            "policy_version": re.search(r'name="policy_version" value="([^"]+)"', page.text).group(1),
            "name": NAME, "id_number": valid_id(), "mobile": "0551234567", "preferred_channel": "sms",
            "preferred_language": "ar", "city": "الرياض", "category": "family", "household_size": "٥",
            "need": "دعم إيجار السكن لثلاثة أشهر", "attest": "yes", "signature": NAME, "consent": "yes", **fields}
    return client.post("/apply", data, files=files if files is not None else {"documents": PDF}), data


def staff_intake(client: Any, files: Any = None, **fields: str):
    client.get("/portal/requests/new")
    data = {"channel": "phone", "name": NAME, "id_number": valid_id(), "mobile": "0551234567",
            "preferred_channel": "sms", "preferred_language": "ar", "need": "سلة غذائية شهرية", "consent": "yes",
            **fields}
    return client.post("/portal/requests/new", data, files=files or {})


def act(client: Any, request_id: Any, action: str, files: Any = None, **data: str):
    return client.post(f"/portal/requests/{request_id}/act/{action}", data, files=files or None)


CHECKS = {f"check_{k}": "yes" for k in ("identity", "contact", "information", "documents")}


async def at_committee(server: Any, tenant: Any, officer: Any, name: str) -> Any:
    """An online request (attested online) taken to the committee by the officer."""
    response, _ = online(server.client(tenant.slug), name=name, signature=name)
    assert response.status_code == 303
    rid = await scalar(tenant.id, "select id from support_request where contact_name = $1", name)
    assert act(officer, rid, "verify", **CHECKS).status_code == 303
    assert act(officer, rid, "skip_referral").status_code == 303
    assert await stage_of(tenant.id, rid) == "committee"
    return rid
