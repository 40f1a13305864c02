"""The NotificationService: emails customers and admins about what happened in the shop."""
