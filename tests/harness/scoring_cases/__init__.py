"""The hand-built scoring cases of fixtures/scoring/cases/, written as readable Python.

Each case is one conversation and the verdict a careful person gives it,
written by hand next to it. ``python -m tests.harness.scoring_cases`` writes
the plain data files (tasks.jsonl, trajectories.jsonl, expected.jsonl,
manifest.json) that ``button score`` and the tests read.
"""
