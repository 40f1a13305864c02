"""Logs and metrics: how an operator sees what a shop process is doing."""
