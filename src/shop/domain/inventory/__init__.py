"""The inventory context: how many units of each product are on hand."""
