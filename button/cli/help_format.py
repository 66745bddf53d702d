"""What every command module shares with the entry point: the help formatter.

Command modules import it from here, never from ``button.cli.main`` (which imports
the command modules), so imports run one way. The event loop a command runs
on is ``button.cli.interrupts.run_async``.
"""

from __future__ import annotations

import argparse


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples in descriptions and epilogs as written."""
