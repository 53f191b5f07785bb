"""Carts: variants from several merchants, for a guest (by a secret token) or an account."""
