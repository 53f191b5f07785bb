"""Notifications: e-mail now (through the outbox); later issues add other channels."""
