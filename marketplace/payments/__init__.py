"""Payments and refunds: separate records with their own states, moved by providers."""
