"""Notifications: pure rules turn events into notices; the sender delivers them to Telegram."""
