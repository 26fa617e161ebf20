"""A long run of the cache's differential test (tests/test_cache_differential.py): random edits of a project
and random commands, each cached run compared with --no-cache on an identical tree.

    python benchmarks/cache_differential.py [EXAMPLES] [STEPS]      (default 200 examples of 40 steps)
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    examples = sys.argv[1] if len(sys.argv) > 1 else "200"
    steps = sys.argv[2] if len(sys.argv) > 2 else "40"
    env = dict(os.environ, MODFIX_DIFFERENTIAL_EXAMPLES=examples, MODFIX_DIFFERENTIAL_STEPS=steps)
    return subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                            str(HERE.parent / "tests" / "test_cache_differential.py")], env=env)


if __name__ == "__main__":
    sys.exit(main())
