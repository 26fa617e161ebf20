"""A formatter for libcst's codemod tool that changes nothing: ``python -m codemods.keep_formatting``.

libcst's tool pipes every file a codemod changed through a formatter, black unless the configuration
names another, and fails the file when none is installed. modfix's rewrites keep the file's own
formatting, so its commands need none. In ``.libcst.codemod.yaml``::

    modules: [codemods]
    formatter: [python, -m, codemods.keep_formatting]
"""
from __future__ import annotations

import sys


def main() -> None:
    sys.stdout.buffer.write(sys.stdin.buffer.read())  # bytes: no newline or encoding is translated
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
