"""Static checks, as CI runs them: the import contracts (layers point down, no area imports
another's routes), ruff, and mypy. Configuration is in pyproject.toml.

mypy runs against a baseline (tests/mypy-baseline.txt) of the errors today's code has: any
error not in it fails the test, so new code is checked fully while the old errors are fixed
one by one (delete a line from the baseline when you fix it; the test says when a line is
stale).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BASELINE = ROOT / "tests" / "mypy-baseline.txt"


def run(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / args[0]), *args[1:]], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_import_contracts_hold() -> None:
    result = run("lint-imports", "--no-cache")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_ruff_finds_nothing() -> None:
    result = run("ruff", "check", "--no-cache", "sila", "tests", "bench")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def mypy_errors(output: str) -> list[str]:
    """`path: message [code]` per error, without line numbers (they move with every edit)."""
    errors = []
    for line in output.splitlines():
        m = re.match(r"^(?P<path>[^:]+):\d+(?::\d+)?: error: (?P<message>.*)$", line)
        if m:
            errors.append(f"{m['path']}: {m['message']}")
    return errors


def test_mypy_finds_nothing_new() -> None:
    # The bench too: it drives the services by their typed records, and a record that changed
    # shape (a dataclass read as a dict) otherwise fails only in a full bench run, an hour in.
    result = run("mypy", "--no-incremental", "sila", "bench")
    found = mypy_errors(result.stdout)
    assert result.returncode == 0 or (result.returncode == 1 and found), result.stdout[-3000:] + result.stderr[-3000:]
    baseline = [line for line in BASELINE.read_text().splitlines() if line.strip() and not line.startswith("#")]
    remaining = list(baseline)
    new = []
    for error in found:
        if error in remaining:
            remaining.remove(error)
        else:
            new.append(error)
    assert not new, "mypy errors not in tests/mypy-baseline.txt (fix them):\n" + "\n".join(new)
    assert not remaining, "fixed, so delete from tests/mypy-baseline.txt:\n" + "\n".join(remaining)


def test_every_template_import_names_a_macro_its_template_defines() -> None:
    """Jinja resolves `{% from X import m %}` only when the page renders, so a macro moved
    between files is a 500 on the one page nobody opened (the survey answer page was)."""
    from jinja2 import nodes

    from sila.platform.templating import TEMPLATES_DIR, environment

    env = environment()
    names = [p.relative_to(TEMPLATES_DIR).as_posix() for p in TEMPLATES_DIR.rglob("*")
             if p.suffix in (".html", ".txt", ".xml") and p.is_file()]
    trees = {name: env.parse(env.loader.get_source(env, name)[0]) for name in names}  # type: ignore[union-attr]

    def exported(name: str) -> set[str]:
        tree = trees[name]
        return ({m.name for m in tree.find_all(nodes.Macro)}
                | {t.name for a in tree.body if isinstance(a, nodes.Assign) for t in a.target.find_all(nodes.Name)})

    problems = []
    for name, tree in trees.items():
        for node in tree.find_all((nodes.FromImport, nodes.Import, nodes.Include, nodes.Extends)):
            target = node.template
            if not isinstance(target, nodes.Const):
                continue  # a computed name: the render tests cover it
            if target.value not in trees:
                problems.append(f"{name}: {target.value} does not exist")
            elif isinstance(node, nodes.FromImport):
                missing = {n if isinstance(n, str) else n[0] for n in node.names} - exported(target.value)
                problems += [f"{name}: {target.value} has no {m}" for m in sorted(missing)]
    assert not problems, "\n".join(problems)


def test_no_test_module_imports_another() -> None:
    """Shared test helpers live in tests/support (issue 13): a test that imports another test file
    runs that file's module-level setup and ties the two together (five did, again, after the
    rule was first kept)."""
    import ast

    tests = {p.stem for p in (ROOT / "tests").glob("test_*.py")} | {"conftest"}
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            found += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in tests]
    assert not found, found
