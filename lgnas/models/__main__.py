"""``python -m lgnas.models``: list the registered message-passing operators and their papers."""

from __future__ import annotations

import sys

from lgnas.models.layers import OP_REGISTRY, op_summary


def main() -> int:
    """Print each operator's name, class and the first line of its docstring (the paper).

    The names are the valid values of the architecture's ``op`` key and of search-space
    ``op`` choices; the class docstrings give the formula each one computes.
    """
    width = max((len(name) for name in OP_REGISTRY), default=0) + 2
    for name, cls in OP_REGISTRY.items():
        print(f"{name:<{width}}{cls.__module__}.{cls.__qualname__}")
        print(f"{'':<{width}}{op_summary(name)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
