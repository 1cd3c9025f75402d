"""The command line imports and answers ``--help`` where POSIX-only modules do not exist.

Analysts run openfdp on macOS and Windows. Each check runs in a fresh Python process whose
import system refuses ``fcntl`` and ``resource`` (a ``sitecustomize`` with a meta-path
blocker), the way they are missing on Windows. The second check also reports
``sys.platform`` as ``win32`` while every openfdp module is imported and every command's
``--help`` is run (third-party libraries are imported first, under the real platform: their
own Windows branches need Windows DLLs, which is not what is tested here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from openfdp.store import host_os

REPO = Path(__file__).resolve().parents[2]
BLOCKED = ("fcntl", "resource")

SITECUSTOMIZE = f"""
import sys

class _PosixOnly:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {BLOCKED!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked)", name=name)
        return None

for _name in {BLOCKED!r}:
    sys.modules.pop(_name, None)
sys.meta_path.insert(0, _PosixOnly())
"""

# Imports every CLI module, then runs --help of the root and of every (sub)command.
DRIVER_BODY = """
import importlib, json, pkgutil, sys

OURS = ("graph_service", "loaders", "ontology", "tests")
spoof = sys.argv[1] if len(sys.argv) > 1 else ""
if spoof:
    for name in json.loads(sys.argv[2]):
        importlib.import_module(name)
    sys.platform = spoof

import openfdp.cli as cli
from typer.main import get_command
from typer.testing import CliRunner

for info in pkgutil.iter_modules(cli.__path__):
    if info.name != "__main__":
        importlib.import_module(f"openfdp.cli.{info.name}")

def paths(command, prefix):
    yield prefix
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from paths(sub, [*prefix, name])

runner = CliRunner()
helps = {}
for path in paths(get_command(cli.app), []):
    result = runner.invoke(cli.app, [*path, "--help"])
    helps[" ".join(path) or "openfdp"] = [result.exit_code, "Usage" in result.output]

stdlib = set(sys.stdlib_module_names)
third_party = sorted(
    {n.partition(".")[0] for n in list(sys.modules)}
    - stdlib - set(OURS) - {"__main__", "_distutils_hack", "sitecustomize"}
)
third_party = [
    n for n in third_party
    if not n.startswith("_") and getattr(sys.modules.get(n), "__file__", None)
]
print(json.dumps({
    "platform": sys.platform,
    "blocked_loaded": [m for m in BLOCKED_NAMES if m in sys.modules],
    "helps": helps,
    "third_party": third_party,
}))
"""
DRIVER = f"BLOCKED_NAMES = {BLOCKED!r}\n" + DRIVER_BODY


def _run(tmp_path: Path, *args: str) -> dict[str, object]:
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _assert_all_helps(result: dict[str, object]) -> None:
    helps = result["helps"]
    assert isinstance(helps, dict)
    # every group of the design is there, with its subcommands
    for command in ("openfdp", "db status", "load csv", "link run", "audit verify", "serve"):
        assert command in helps, sorted(helps)
    failed = {name: v for name, v in helps.items() if v != [0, True]}
    assert not failed, failed
    assert result["blocked_loaded"] == []


def test_cli_imports_and_helps_without_fcntl_and_resource(tmp_path: Path) -> None:
    result = _run(tmp_path)
    assert result["platform"] == sys.platform
    _assert_all_helps(result)


def test_cli_helps_with_the_platform_reported_as_windows(tmp_path: Path) -> None:
    first = _run(tmp_path)  # which third-party modules the command line imports
    result = _run(tmp_path, "win32", json.dumps(first["third_party"]))
    assert result["platform"] == "win32"
    _assert_all_helps(result)


def test_the_real_entry_point_answers_help_without_fcntl(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}
    for args in (["--help"], ["--version"], ["db", "start", "--help"]):
        done = subprocess.run(
            [sys.executable, "-m", "openfdp.cli", *args],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        assert "Usage" in done.stdout or done.stdout.startswith("openfdp ")


@pytest.mark.parametrize(
    ("platform", "supported"),
    [("linux", True), ("darwin", True), ("win32", False), ("cygwin", False)],
)
def test_local_server_support_is_stated_per_platform(platform: str, supported: bool) -> None:
    assert host_os.local_server_supported(platform) is supported
    if not supported:
        message = host_os.unsupported_message(platform)
        assert platform in message and "NEO4J_URI" in message
        assert "deploy/compose.yaml" in message


def test_process_cmdline_reads_this_process() -> None:
    cmdline = host_os.process_cmdline(os.getpid())
    assert cmdline is not None and "python" in cmdline.lower()
    assert host_os.process_cmdline(2**22 + 12345) is None  # above Linux's pid_max
