"""The README's code runs as written: every Python block, every `lifnet` command line.

Install commands (`pip install ...`) are what `.ci/run` runs, in the README's
order; `sphinx-build` is run by `.ci/run` too. A command line of a `sh` block
that is neither is run here, from a folder holding a copy of `examples/`.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```", README, flags=re.S | re.M)


def _lines(language):
    return [line.strip() for kind, text in BLOCKS if kind == language
            for line in text.splitlines() if line.strip()]


PYTHON = [text for kind, text in BLOCKS if kind == "python"]
SHELL = [line for line in _lines("sh") if not line.startswith(("pip install", "sphinx-build"))]


def test_every_block_is_python_or_sh():
    assert {kind for kind, _ in BLOCKS} <= {"python", "sh"}
    assert len(PYTHON) >= 2 and SHELL


def test_quick_start_commands_are_what_ci_runs_in_order():
    installs = [line for line in _lines("sh") if line.startswith("pip install")]
    assert installs[:2] == ["pip install . && lifnet run",
                            'pip install -e ".[test]" && pytest']
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    positions = [ci.index(command) for command in installs]
    assert positions == sorted(positions), "the README's commands, in the README's order"
    docs = next(line for line in _lines("sh") if line.startswith("sphinx-build")
                or "sphinx-build" in line)
    assert docs in ci


@pytest.mark.parametrize("k", range(len(PYTHON)))
def test_python_block_runs_as_written(k, tmp_path):
    run = subprocess.run([sys.executable, "-c", PYTHON[k]], cwd=tmp_path, capture_output=True,
                         text=True, timeout=600, env=dict(os.environ, LIFNET_QUIET="1"))
    assert run.returncode == 0, run.stderr[-3000:]
    if "E: " in run.stdout:
        # The first snippet says what it prints: keep the text and the run in step.
        rates = dict(re.findall(r"^(\w+): ([\d.]+) Hz$", run.stdout, flags=re.M))
        claimed = re.search(r"it prints E ([\d.]+) Hz and I ([\d.]+) Hz", README)
        assert claimed and rates == {"E": claimed[1], "I": claimed[2]}, run.stdout


@pytest.mark.parametrize("command", SHELL)
def test_command_line_runs_as_written(command, tmp_path):
    assert command.startswith("lifnet "), command
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    run = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True,
                         timeout=900, env=dict(os.environ, LIFNET_QUIET="1"))
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "wrote" in run.stdout
