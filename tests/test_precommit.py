"""The pre-commit hook, installed from this repository into a temporary git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

PRE_COMMIT = Path(sys.executable).with_name("pre-commit")


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_static_hook_fails_a_defective_file_or_notebook_and_passes_a_clean_one(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    rev = _git(ROOT, "rev-parse", "HEAD")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {rev}\n    hooks:\n      - id: nncheck\n"
    )
    shutil.copy(FIXTURES / "static" / "t104_val_acc.py", repo / "bad.py")
    shutil.copy(FIXTURES / "static" / "t104_val_acc_fixed.py", repo / "good.py")
    shutil.copy(FIXTURES / "demo" / "train.ipynb", repo / "explore.ipynb")
    _git(repo, "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}

    def hook(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(PRE_COMMIT), "run", "--files", name],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    bad = hook("bad.py")
    assert bad.returncode == 1
    assert "T104 [error]" in bad.stdout
    notebook = hook("explore.ipynb")  # the hooks take notebooks too (types_or: jupyter)
    assert notebook.returncode == 1
    assert "explore.ipynb:cell 5:3:18 T104 [error]" in notebook.stdout
    good = hook("good.py")
    assert good.returncode == 0, good.stdout
    assert "Passed" in good.stdout
