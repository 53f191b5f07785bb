"""Delivery: customers' addresses, shipments of orders and their timeline (issue 9).

The carriers themselves are plugins (``marketplace.plugins.Carrier``); this package holds
what the platform keeps about a delivery whoever carries it."""
