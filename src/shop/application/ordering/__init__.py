"""Ordering, payment and inventory use cases."""
