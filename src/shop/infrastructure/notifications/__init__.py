"""The NotificationService's adapters: email templates and mailers (SMTP, .eml files)."""
