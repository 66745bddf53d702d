"""Work on disk: append-only JSONL records, directory locks, manifests and their one change check."""
