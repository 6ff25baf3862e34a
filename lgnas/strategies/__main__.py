"""``python -m lgnas.strategies``: list the registered search strategies and their origin."""

from __future__ import annotations

import sys

from lgnas.errors import ConfigError
from lgnas.strategies.registry import ignored_message, scan


def main() -> int:
    """Print each strategy's name, package, version and summary.

    Every strategy is listed even when some plugin is broken; the broken ones say why, and
    the exit status is then 1, so an install check notices.
    """
    registry = scan()
    width = max((len(name) for name in registry.strategies), default=0) + 2
    broken = 0
    for name, info in registry.strategies.items():
        try:
            summary = info.summary()
        except ConfigError as err:  # one broken plugin must not hide the others
            summary, broken = f"cannot be used: {err}", broken + 1
        print(f"{name:<{width}}{info.origin}\n{'':<{width}}{summary}")
    for info in registry.ignored:
        print(f"lgnas: warning: {ignored_message(info)}", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
