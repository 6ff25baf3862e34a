"""The commands of README.md's "Quick start", so CI runs exactly what a new user runs.

``python .ci/quickstart.py install|job|tests`` prints one of them: the first command's install
part, the main job it ends with, or the second command (the tests). The section must hold one
``bash`` block of exactly two commands, the first ending with ``&& python -m lgnas ...``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
MAIN_JOB = "python -m lgnas "


def quickstart(readme: Path = README) -> dict[str, str]:
    """``{"install", "job", "tests"}`` from the Quick start section; ValueError if misshapen."""
    text = readme.read_text(encoding="utf-8")
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", text, re.M | re.S)
    block = re.search(r"^```bash\n(.*?)^```", section.group(1), re.M | re.S) if section else None
    if block is None:
        raise ValueError(f"{readme}: no ```bash block under '## Quick start'")
    commands = [line.strip() for line in block.group(1).splitlines() if line.strip()]
    if len(commands) != 2:
        raise ValueError(f"{readme}: Quick start holds {len(commands)} commands, not 2")
    *install, job = commands[0].split(" && ")
    if not install or not job.startswith(MAIN_JOB):
        raise ValueError(f"{readme}: the first command must end with '&& {MAIN_JOB}...'")
    return {"install": " && ".join(install), "job": job, "tests": commands[1]}


if __name__ == "__main__":
    try:
        print(quickstart()[sys.argv[1]])
    except (IndexError, KeyError):
        sys.exit("usage: python .ci/quickstart.py install|job|tests")
    except ValueError as error:
        sys.exit(f"quickstart: {error}")
