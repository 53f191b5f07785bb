"""Offline fulfilment: which stores can serve an order, and their pickup slots."""
