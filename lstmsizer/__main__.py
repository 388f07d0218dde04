"""Run the command line with ``python -m lstmsizer``."""

from __future__ import annotations

from lstmsizer.cli import main

if __name__ == "__main__":
    main()
