"""Pure functions from domain objects to Block Kit JSON."""
