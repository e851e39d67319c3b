"""Many workspaces on one deployment: Slack's OAuth install, tokens encrypted at rest, and the
installation each workspace's calls are made with.

`crypto` (Fernet keyed by CHAMPBOT_ENCRYPTION_KEY), `store` (slack_sdk's SQLAlchemy stores,
encrypted), `flow` (Bolt's `OAuthSettings`), `redact` (no token in any log).
"""
