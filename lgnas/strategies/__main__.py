"""``python -m lgnas.strategies``: list the registered search strategies and their origin."""

from __future__ import annotations

import sys

from lgnas.errors import ConfigError
from lgnas.strategies.registry import available


def main() -> int:
    """Print each strategy's name, package and summary; exit status 1 if the registry is broken."""
    try:
        found = available()
    except ConfigError as err:
        print(f"lgnas: error: {err}", file=sys.stderr)
        return 1
    for name, info in found.items():
        try:
            summary = info.summary()
        except ConfigError as err:  # one broken plugin must not hide the others
            summary = f"cannot be imported: {err}"
        print(f"{name:<10} {info.origin}\n{'':<10} {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
