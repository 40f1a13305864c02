"""The ordering context: orders, their lines and their life from Pending to Shipped."""
