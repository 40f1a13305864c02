"""Catalog use cases: categories and products."""
