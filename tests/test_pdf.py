"""The one PDF pipeline (sila/platform/pdf.py): every PDF goes through it, and it fetches nothing
from the network or the disk beyond our fonts and static files, whatever the content says."""
from __future__ import annotations

import ast
import http.server
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.data import session_time
from support.servers import free_port


ROOT = Path(__file__).resolve().parents[1]
PASSWD = Path("/etc/passwd").read_text().splitlines()[0]  # "root:x:0:0:…"


class Listener:
    """A local HTTP server on a free port that records every request it receives."""

    def __init__(self) -> None:
        self.port = free_port()
        self.paths: list[str] = []
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                listener.paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.end_headers()
                self.wfile.write(b"body { color: red }")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    srv = Listener()
    yield srv
    srv.close()


def hostile(port: int) -> str:
    """Every way HTML and CSS can make WeasyPrint fetch something."""
    base = f"http://127.0.0.1:{port}"
    return f"""<html><head>
<link rel="stylesheet" href="{base}/link.css">
<link rel="attachment" href="file:///etc/passwd">
<style>@import url("{base}/import.css"); body {{ background: url("{base}/bg.png") }}
@font-face {{ font-family: X; src: url("{base}/font.ttf") }}
.x {{ background: url("file:///etc/passwd") }}</style></head>
<body><p class="x">x</p><img src="{base}/img.png"><img src="file:///etc/passwd"><img src="/etc/passwd">
<object data="file:///etc/passwd"></object><embed src="{base}/embed.png">
<a rel="attachment" href="file:///etc/passwd">a</a><a rel="attachment" href="{base}/att.txt">b</a>
<iframe src="file:///etc/passwd"></iframe></body></html>"""


def pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True).stdout.decode()


def attachments(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdfdetach", "-list", str(path)], capture_output=True, text=True, check=True).stdout


def test_the_renderer_fetches_nothing_from_the_network_or_the_disk(listener, tmp_path):
    from sila.platform.pdf import html_to_pdf

    content = html_to_pdf(hostile(listener.port))
    assert content.startswith(b"%PDF-")
    assert listener.paths == []  # not one request reached the local listener
    assert PASSWD not in pdf_text(content)
    assert attachments(content, tmp_path).startswith("0 embedded files"), attachments(content, tmp_path)


def test_only_the_platform_pipeline_uses_weasyprint():
    """One PDF pipeline: a module laying out a PDF by itself would bypass the fetch restriction."""
    users = []
    for path in (ROOT / "sila").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n.split(".")[0] == "weasyprint" for n in names):
                users.append(str(path.relative_to(ROOT)))
    assert sorted(set(users)) == ["sila/platform/pdf.py"]


async def test_minutes_with_hostile_content_fetch_nothing(server, make_tenant, make_staff, publish_policy, listener):
    """Markup typed into a session (its location, a vote's reasons) is text in the minutes PDF,
    and nothing it names is fetched."""
    tenant = await make_tenant()
    await publish_policy(tenant, "mafatih")
    member = await make_staff(tenant, "committee_member", name="عضو اللجنة")
    client = server.client(tenant.slug)
    client.login(member.email)
    client.get("/portal/committee")
    location = (f'<img src="http://127.0.0.1:{listener.port}/loc.png">'
                f'<link rel="attachment" href="file:///etc/passwd"><img src="file:///etc/passwd">')
    response = client.post("/portal/committee", {"held_at": session_time(), "location": location})
    assert response.status_code == 303, response.text[-2000:]
    pdf = client.get(f"{response.headers['location']}/minutes.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert listener.paths == []
    text = re.sub(r"[\u200e\u200f\u202a-\u202e\s]", "", pdf_text(pdf.content))
    assert f"127.0.0.1:{listener.port}/loc.png" in text and PASSWD.replace(" ", "") not in text
