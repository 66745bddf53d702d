"""Trajectories as fine-tuning data (one module a format) and existing data sets imported as runs."""
