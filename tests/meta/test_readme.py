"""The README's promise: two commands set everything up, and CI runs the same one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)


def commands(block: str) -> list[str]:
    """The commands of a shell block: lines without comments and blank lines."""
    return [line.split("#", 1)[0].strip() for line in block.splitlines()
            if line.split("#", 1)[0].strip()]


def test_readme_starts_with_exactly_make_run_and_make_test():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = FENCE.search(readme)
    assert first is not None, "README.md has no code block"
    assert commands(first.group(1)) == ["make run", "make test"]
    # "At the very top": nothing but the title and a short description comes before it.
    before = readme[: first.start()].strip().splitlines()
    assert before[0].startswith("# ")
    assert len([line for line in before if line.strip()]) <= 4


def test_ci_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash\n")
    lines = [line.split("#", 1)[0].strip() for line in script.splitlines()]
    assert "set -euo pipefail" in lines
    assert "make test" in lines  # a command of its own, not inside a comment or a string


def test_makefile_has_the_two_targets():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)


def test_readme_documents_every_setting_read_from_the_environment():
    """Datasette-style: a setting added to config.py without a line in the README fails."""
    sources = [ROOT / "marketplace" / "config.py", ROOT / "marketplace" / "__init__.py"]
    names = set()
    for source in sources:
        text = source.read_text(encoding="utf-8")
        names |= set(re.findall(r'(?:environ\.get|_bool|_int)\(\s*"([A-Z][A-Z0-9_]+)"', text))
    assert {"DATABASE_URL", "SECRET_KEY", "MARKETPLACE_INSTANCE_PATH"} <= names
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert not missing, f"README.md's configuration table lacks {missing}"
