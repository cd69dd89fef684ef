"""The platform's public-form limit, failing open: with Redis away a person's suggestion or survey
answer is still taken (its message waits in the outbox), only the counting is skipped."""
from __future__ import annotations

import logging
from typing import Any

from litestar.exceptions import TooManyRequestsException

from sila.platform.ratelimit import public_form_limit

log = logging.getLogger(__name__)


def form_limit(name: str) -> Any:
    inner = public_form_limit(name)

    async def guard(connection: Any, handler: Any) -> None:
        try:
            await inner(connection, handler)
        except TooManyRequestsException:
            raise
        except Exception as exc:  # noqa: BLE001 - Redis unreachable: do not lose the submission
            log.warning("public form limit %s not counted (%s)", name, exc)

    return guard
