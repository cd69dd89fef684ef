"""The `sila` command: `sila dev` end to end on embedded servers, settings errors, operators."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from support.servers import Server, wait_until


SILA = Path(sys.executable).with_name("sila")
SILA_CMD = [str(SILA)] if SILA.exists() else [sys.executable, "-m", "sila.platform.cli"]
ROOT = Path(__file__).resolve().parents[1]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any SILA_* (the test session sets some), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SILA_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def sila(*args: str, env: dict[str, str], input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*SILA_CMD, *args], env=env, input=input, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


# --- sila dev ------------------------------------------------------------------------------


def _alive(pids: set[int]) -> list[str]:
    alive = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            if proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(f"{pid} {' '.join(proc.cmdline())}")
        except psutil.NoSuchProcess:
            pass
    return alive


def _mentioning(text: str) -> list[str]:
    """Live processes whose command line mentions `text` (our data dir)."""
    found = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and text in " ".join(proc.info["cmdline"] or []):
                found.append(f"{proc.info['pid']} {' '.join(proc.info['cmdline'])}")
        except psutil.Error:
            pass
    return found


class DevRun:
    """`sila dev --port 0` as a user would run it in a terminal (its own process group)."""

    def __init__(self, data_dir: Path, log: Path) -> None:
        self.data_dir = data_dir
        self.lines: list[str] = []
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [*SILA_CMD, "dev", "--port", "0", "--data-dir", str(data_dir)],
            env=clean_env(), cwd=data_dir.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)
            self.log.write(line)
            self.log.flush()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"sila dev exited with {self.proc.returncode}:\n{self.output[-4000:]}")
            return "Press Ctrl-C to stop." in self.output

        wait_until(ready, timeout=240, interval=0.2, what="sila dev to print its URLs")

    def tenant_urls(self) -> dict[str, int]:
        return {slug: int(port) for slug, port in re.findall(r"http://([a-z0-9-]+)\.localhost:(\d+)/login", self.output)}

    def passwords(self) -> dict[str, str]:
        return dict(re.findall(r"^\s+(\S+@\S+)\s+password: (\S+)$", self.output, re.M))

    def our_pids(self) -> set[int]:
        """Every process this run started: its children (web, worker, beat and theirs) and the
        embedded servers (daemonized, so not its children) with theirs."""
        pids = {c.pid for c in psutil.Process(self.proc.pid).children(recursive=True)}
        named = re.findall(r"(?:PostgreSQL|Redis|web|worker|beat) pid (\d+)", self.output)
        for pid in map(int, named):
            pids.add(pid)
            try:
                pids.update(c.pid for c in psutil.Process(pid).children(recursive=True))
            except psutil.NoSuchProcess:
                pass
        return pids

    def interrupt(self) -> tuple[int, set[int]]:
        """Ctrl-C, as the terminal sends it: SIGINT to the whole foreground process group."""
        pids = self.our_pids()
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            code = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            with_tail = self.output[-4000:]
            os.killpg(self.proc.pid, signal.SIGKILL)
            raise AssertionError(f"sila dev did not stop within 30s after SIGINT:\n{with_tail}") from None
        self.reader.join(5)
        self.log.close()
        return code, pids


def _check_demo_site(port: int, slug: str, name_ar: str, email: str, password: str) -> None:
    site = Server(port, None).client(slug)  # type: ignore[arg-type]
    page = site.get("/login")
    assert page.status_code == 200, page.text[-1000:]
    assert name_ar in page.text
    policy = site.get("/policy")  # the seed policy, published by the demo loader
    assert policy.status_code == 200 and name_ar in policy.text
    site.login(email, password)  # 303 to the portal
    portal = site.get("/portal")
    assert portal.status_code == 200 and name_ar in portal.text


def _check_operator(port: int, email: str, password: str) -> None:
    console = Server(port, None).client()  # type: ignore[arg-type]
    assert console.get("/operator/login").status_code == 200
    response = console.post("/operator/login", {"email": email, "password": password})
    assert response.status_code == 303, response.text[-1000:]


@pytest.fixture
def dev_root() -> Iterator[Path]:
    """A folder outside pytest's own temp root: as root, the embedded PostgreSQL runs as
    another user that must traverse every parent, and each new pytest session on the machine
    resets `/tmp/pytest-of-root` to mode 0700."""
    root = Path(tempfile.mkdtemp(prefix="sila-dev-test-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_sila_dev_runs_everything_on_embedded_servers_and_stops_cleanly(dev_root: Path) -> None:
    from sila.tenants.policy.seeds import seed_organisations

    orgs = {o.slug: o for o in seed_organisations()}
    tmp_path = dev_root
    data_dir = dev_root / "dev-data"
    seen: list[dict[str, str]] = []
    for run in (1, 2):  # the second run finds the data, tenants and passwords of the first
        dev = DevRun(data_dir, tmp_path / f"dev-{run}.log")
        try:
            dev.wait_ready()
            urls = dev.tenant_urls()
            assert set(urls) == set(orgs), dev.output[-3000:]
            port = urls["haramain"]
            assert port not in (0, 8000) and set(urls.values()) == {port}
            assert f"http://localhost:{port}/operator/login" in dev.output
            assert re.search(r"Processes: web pid \d+, worker pid \d+, beat pid \d+", dev.output), dev.output[-3000:]
            passwords = dev.passwords()
            seen.append(passwords)
            for slug, org in orgs.items():
                email = f"admin@{slug}.demo"
                _check_demo_site(port, slug, org.name_ar, email, passwords[email])
            _check_operator(port, "operator@sila.demo", passwords["operator@sila.demo"])
            health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            assert health.status_code == 200 and health.json()["checks"]["database"]["ok"]
        finally:
            code, pids = dev.interrupt() if dev.proc.poll() is None else (dev.proc.returncode, set())
        assert code == 0, dev.output[-3000:]
        assert "sila dev: stopped." in dev.output
        assert len(pids) >= 5, dev.output[-3000:]  # web, worker (+pool), beat, postgres (+its), redis
        wait_until(lambda pids=pids: not _alive(pids), timeout=10, what="no process of sila dev left")
        assert _mentioning(str(data_dir)) == []
    assert seen[0] == seen[1]  # the printed logins are stable between runs
    assert (data_dir / "secret_key").exists() and (data_dir / "postgres").is_dir()


# --- settings errors --------------------------------------------------------------------------

GOOD = {
    "SILA_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/sila",
    "SILA_REDIS_URL": "redis://127.0.0.1:1/0",
    "SILA_SECRET_KEY": "x" * 40,
}


@pytest.mark.parametrize("command", [
    ["migrate"], ["serve"], ["worker"], ["beat"], ["load-demo"], ["create-operator", "--email", "o@x.test"],
])
def test_a_missing_setting_stops_every_command_with_its_name(command: list[str]) -> None:
    env = clean_env(**{k: v for k, v in GOOD.items() if k != "SILA_SECRET_KEY"})
    result = sila(*command, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "SILA_SECRET_KEY" in result.stderr and "required" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_invalid_setting_is_named() -> None:
    result = sila("migrate", env=clean_env(**{**GOOD, "SILA_DATABASE_URL": "mysql://db/sila", "SILA_DB_POOL_SIZE": "0"}))
    assert result.returncode == 2
    assert "SILA_DATABASE_URL" in result.stderr and "SILA_DB_POOL_SIZE" in result.stderr
    assert "Traceback" not in result.stderr


def test_sila_dev_checks_settings_before_starting_anything(tmp_path: Path) -> None:
    result = sila("dev", "--port", "0", "--data-dir", str(tmp_path / "d"),
                  env=clean_env(SILA_SECRET_KEY="too short"))
    assert result.returncode == 2
    assert "SILA_SECRET_KEY" in result.stderr and "Traceback" not in result.stderr
    assert "Starting PostgreSQL" not in result.stdout
    assert not (tmp_path / "d" / "postgres").exists()


def test_the_parser_knows_the_commands_the_issue_asks_for() -> None:
    from sila.platform.cli import command_names

    assert {"dev", "migrate", "serve", "worker", "beat", "create-operator", "load-demo"} <= command_names()
    result = sila("--help", env=clean_env())
    assert result.returncode == 0 and "create-operator" in result.stdout


# --- create-operator ---------------------------------------------------------------------------


async def test_create_operator_reads_the_password_from_stdin(sila_env) -> None:
    from sila.platform.operator.services import authenticate

    email = "ops-cli@sila.test"
    result = sila("create-operator", "--email", email, "--name", "Ops", "--password-stdin",
                  env=sila_env.child(), input="correct horse battery\n")
    assert result.returncode == 0, result.stderr
    assert email in result.stdout
    assert await authenticate(email, "correct horse battery")

    # Again: the same operator, new password (how a lost password is reset).
    result = sila("create-operator", "--email", email, "--password-stdin", env=sila_env.child(),
                  input="another long passphrase\n")
    assert result.returncode == 0, result.stderr
    assert await authenticate(email, "another long passphrase")
    assert not await authenticate(email, "correct horse battery")

    # A lost authenticator: --reset-totp forgets it, so the next sign-in enrols a new one.
    from sila.platform.operator import services

    await services.set_totp(await authenticate(email, "another long passphrase"), services.new_totp_secret())
    assert (await authenticate(email, "another long passphrase"))["totp_secret"]
    result = sila("create-operator", "--email", email, "--password-stdin", "--reset-totp", env=sila_env.child(),
                  input="another long passphrase\n")
    assert result.returncode == 0, result.stderr
    assert (await authenticate(email, "another long passphrase"))["totp_secret"] is None


def test_create_operator_refuses_short_passwords_and_no_terminal(sila_env) -> None:
    result = sila("create-operator", "--email", "short@sila.test", "--password-stdin", env=sila_env.child(),
                  input="elevenchars\n")
    assert result.returncode == 1 and "12 characters" in result.stderr
    result = sila("create-operator", "--email", "short@sila.test", "--password-stdin", env=sila_env.child(),
                  input="111111111111111\n")  # long enough, but the service's rules refuse it
    assert result.returncode == 1 and "Traceback" not in result.stderr and "varied" in result.stderr
    # No --password-stdin and no terminal to prompt on: a clear usage error, never a hang.
    result = sila("create-operator", "--email", "short@sila.test", env=sila_env.child(), input="")
    assert result.returncode == 2 and "--password-stdin" in result.stderr
