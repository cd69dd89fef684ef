"""Whether Sila may write to a person: the one predicate every message and survey goes through.

A person whose processing is restricted (or whose file was erased) gets nothing. A person who
withdrew consent still gets what their own request needs (received, incomplete, decision,
service, tracking codes: the charity cannot serve them without) but no survey and nothing else
that is not essential. Messages with no beneficiary behind them (staff mail, replies to a
suggestion sent through the public form) are not this predicate's business.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sila.platform.db import current_connection, parse_uuid
from sila.platform.i18n import N_

# Kinds a person who withdrew consent no longer receives (they are for the charity, not for
# the request the person made).
NON_ESSENTIAL_PREFIXES = ("survey.",)


def essential(kind: str) -> bool:
    return not kind.startswith(NON_ESSENTIAL_PREFIXES)


async def contactable_in_scope(beneficiary_ids: Iterable[Any], kind: str) -> set[uuid.UUID]:
    """Of these files, those that may receive a message of `kind` now (in the caller's scope)."""
    ids = list({b for b in (parse_uuid(x) for x in beneficiary_ids if x) if b})
    if not ids:
        return set()
    rows = await current_connection().fetch(
        """select id from beneficiary where id = any($1::uuid[]) and restricted_at is null and erased_at is null
             and ($2 or consent_withdrawn_at is null)""", ids, essential(kind))
    return {r["id"] for r in rows}


MSG_RESTRICTED = N_("Processing of this person's data is restricted or their file was erased: their requests "
                    "wait until an admin lifts the restriction.")


async def processing_restricted_in_scope(beneficiary_id: Any) -> bool:
    """The person asked for their processing to be restricted (PDPL), or their file was erased:
    no workflow action may move their requests (requests' `actions.refusal` asks here, so the
    page offers none and the server refuses them)."""
    bid = parse_uuid(beneficiary_id)
    return bool(bid and await current_connection().fetchval(
        "select restricted_at is not null or erased_at is not null from beneficiary where id = $1", bid))

