"""``python -m codemods``: the ``modfix`` command."""
from ._launch import main

if __name__ == "__main__":  # tools that import every module of the package (libcst.tool) must not run it
    main()
