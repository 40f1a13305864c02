"""Realtime feeds: committed stock and order changes pushed to connected clients."""
