"""Inventory: stock per variant per store, changed only through append-only movements."""
