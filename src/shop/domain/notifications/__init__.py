"""Notifications: the record of every email the shop sends, and its delivery state."""
