"""Model access: endpoints per role, the client, the check of every response, structured JSON output."""
