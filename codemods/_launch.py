"""The ``modfix`` command: a replay of an unchanged check when there is one, else the real thing."""
from __future__ import annotations

import sys


def main() -> None:
    from ._replay import replay

    code = replay(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from ._cli import main as run

    run()
