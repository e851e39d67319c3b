"""Champion Network Bot: case advice for police champion networks, in Slack."""
