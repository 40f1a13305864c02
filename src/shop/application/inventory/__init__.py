"""The inventory context: stock levels of products and the reasons they changed."""
