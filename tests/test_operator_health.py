"""Operator health shows the broker's real queue depth: kombu's keys are prefixed per database
and split by priority, so reading the bare `celery` list always said 0."""
from __future__ import annotations

import re

from sila.platform.dates import parse_digits


def queue_depth_on_page(html: str) -> int:
    found = re.search(r'<span class="num">([^<]+)</span>[^<]*<bdi dir="ltr">celery</bdi>', html)
    assert found, html[-2000:]
    return int(parse_digits(found.group(1)))


def test_health_shows_messages_waiting_in_the_broker(server, operator_client):
    from sila.workers.celery_app import app

    # No worker takes from the queue while we look (a session's worker, if one runs, is paused).
    paused = app.control.cancel_consumer("celery", reply=True, timeout=3)
    try:
        before = queue_depth_on_page(operator_client.get("/operator/health/panel").text)
        for priority in (None, None, 5, 9):  # the default and two other priority lists
            for _ in range(5):
                app.send_task("sila.outbox.sweep", expires=60, priority=priority)
        page = operator_client.get("/operator/health")
        assert page.status_code == 200
        assert queue_depth_on_page(page.text) >= before + 20
        assert queue_depth_on_page(operator_client.get("/operator/health/panel").text) >= 20
    finally:
        if paused:
            app.control.add_consumer("celery", reply=True, timeout=3)
