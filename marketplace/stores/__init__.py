"""Stores: a merchant's physical places, with position, time zone and opening hours."""
