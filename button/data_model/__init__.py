"""The domain's nouns: tasks, plans and their references, trajectories, scores and the tool-result meta."""
