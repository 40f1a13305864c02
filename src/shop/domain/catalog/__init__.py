"""The catalog context: categories arranged in a tree, and the products in them."""
