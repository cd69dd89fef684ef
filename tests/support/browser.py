"""Browser tests: where Chromium is, screenshots, axe-core accessibility checks, signing in on a page."""
from __future__ import annotations

import types
from pathlib import Path
from typing import Any

from support.servers import ARTIFACTS

CHROMIUM = "/usr/bin/chromium"


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


SCREENSHOTS = ARTIFACTS / "screenshots"


def screenshot(page: Any, name: str) -> Path:
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"


WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_problems(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of WCAG 2.x A/AA on the current page."""
    # Evaluated through the DevTools protocol, not a <script> tag: the pages' CSP (script-src 'self')
    # rightly refuses inline scripts, and the test must not weaken it to run.
    page.evaluate(AXE.read_text() + "\n;undefined")
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def accept_confirmations(page: Any) -> Any:
    """Say yes to the page's own "are you sure?" questions (static/sila.js, data-confirm: publish,
    approve a tenant, close a session); Playwright would dismiss them otherwise. The questions
    asked are kept in `page.confirmations`."""
    page.confirmations = []

    def accept(dialog: Any) -> None:
        page.confirmations.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return page


def sign_in_on(page: Any, base: str, who: Any) -> None:
    """Sign `who` (email, password) in on an open page, in Arabic."""
    page.goto(base + "/login")
    page.get_by_label("البريد الإلكتروني").fill(who.email)
    page.get_by_label("كلمة المرور").fill(who.password)
    page.get_by_role("button", name="تسجيل الدخول").click()
    page.wait_for_url(base + "/portal")


def sign_in_page(chromium: Any, base: str, email: str, password: str) -> Any:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="ar-SA")
    page = accept_confirmations(context.new_page())
    sign_in_on(page, base, types.SimpleNamespace(email=email, password=password))
    return page


def operator_sign_in_page(chromium: Any, base: str, op: Any, *, width: int = 1366) -> Any:
    """An operator signed in through the real two-step form (password, then a TOTP code), Arabic;
    `op` has email, password and secret (the `make_operator` fixture's account)."""
    import pyotp

    page = accept_confirmations(chromium.new_context(viewport={"width": width, "height": 900}, locale="ar-SA").new_page())
    page.goto(base + "/operator/login")
    page.get_by_label("البريد الإلكتروني").fill(op.email)
    page.get_by_label("كلمة المرور").fill(op.password)
    page.get_by_role("button", name="تسجيل الدخول").click()
    page.wait_for_url(base + "/operator/login/code")
    page.get_by_label("الرمز").fill(pyotp.TOTP(op.secret).now())
    page.get_by_role("button", name="تأكيد").click()
    page.wait_for_url(base + "/operator")
    return page
