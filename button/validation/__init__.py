"""Task files read and checked: the rules beyond a task's shape, JSON Schema checks, JSON keys given twice."""
