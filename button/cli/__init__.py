"""The ``button`` program: its entry point, the shared help format and argument types, the core's own commands, and stopping on a signal."""
