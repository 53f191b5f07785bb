"""Merchants: the businesses selling on the marketplace, their staff and the platform's approval."""
