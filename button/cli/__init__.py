"""The ``button`` program: its entry point, the argument types and signal handling the command modules share, and the core's own commands."""
