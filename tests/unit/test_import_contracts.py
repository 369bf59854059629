"""The layering holds: import-linter's contracts (pyproject.toml, `[tool.importlinter]`) are kept.
`make lint` runs the same check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from deploy.local.stack import REPO


def test_the_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
