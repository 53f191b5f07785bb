"""Accounts: people who log in (consumers, merchant staff, platform admins) and their API tokens."""
