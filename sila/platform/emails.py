"""Email bodies rendered from templates/email/<name>.{txt,html} in the recipient's language."""
from __future__ import annotations

from typing import Any

from sila.platform.i18n import direction, gettext, language
from sila.platform.templating import environment


def render_email(name: str, lang: str, **context: Any) -> tuple[str, str, str]:
    """Returns (subject, text, html). The subject is the text template's first line."""
    env = environment()
    with language(lang):
        ctx = {**context, "lang": lang, "dir": direction(lang)}
        text = env.get_template(f"email/{name}.txt").render(ctx)
        html = env.get_template(f"email/{name}.html").render(ctx)
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip() + "\n", html


__all__ = ["render_email", "gettext"]
