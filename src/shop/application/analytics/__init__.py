"""Analytics: read models kept by event consumers (sales, orders, stock) and their queries."""
