"""README's Quick start is two commands that install everything and run the main job, then
the tests; ``.ci/run`` reads and runs exactly those in a fresh virtual environment."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("quickstart", REPO / ".ci" / "quickstart.py")
assert _spec is not None and _spec.loader is not None
quickstart = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(quickstart)


def test_the_first_command_installs_everything_then_runs_the_main_job() -> None:
    commands = quickstart.quickstart()
    install = commands["install"]
    assert install.startswith("pip install torch==2.13.0 && ")  # the CPU build first
    assert '-e ".[dev,text,ray]"' in install
    plugins = sorted(
        p.name for p in (REPO / "plugins").iterdir() if (p / "pyproject.toml").is_file()
    )
    assert plugins and all(f"-e plugins/{name}" in install.split(" && ")[-1] for name in plugins)
    assert commands["job"] == "python -m lgnas +strategy=genetic"
    assert commands["tests"].startswith("python -m pytest")


def test_the_ci_script_runs_them_in_a_fresh_venv() -> None:
    script = (REPO / ".ci" / "run").read_text()
    assert subprocess.run(["bash", "-n", str(REPO / ".ci" / "run")]).returncode == 0
    venv, install, tests = (
        script.index("-m venv"),
        script.index('eval "$install"'),
        script.index('eval "$tests"'),
    )
    assert script.index("activate") > venv and venv < install < tests
    assert "quickstart.py install" in script and "quickstart.py tests" in script


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("pip install lgnas && python -m lgnas +strategy=random\n", "holds 1 commands, not 2"),
        ("pip install lgnas\npython -m pytest\n", "must end with '&& python -m lgnas ...'"),
        ("a && python -m lgnas x\nb\nc\n", "holds 3 commands, not 2"),
    ],
)
def test_a_quick_start_of_another_shape_is_refused(
    block: str, message: str, tmp_path: Path
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n## Quick start\n\nIn a venv:\n\n```bash\n{block}```\n\n## Next\n")
    with pytest.raises(ValueError, match=re.escape(message)):
        quickstart.quickstart(readme)
