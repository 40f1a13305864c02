"""Use cases: commands, queries, their handlers, and the ports they need.

This layer imports the domain and the standard library only; adapters implement
its ports in `shop.infrastructure`.
"""
