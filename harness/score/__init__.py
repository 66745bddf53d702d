"""Scoring trajectories against their plans (pure metrics), the judge, and ``button score``."""
