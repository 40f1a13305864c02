"""Getting committed events out: the outbox relay and where it publishes."""
