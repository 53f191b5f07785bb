"""New arrivals: a plugin for the O2O Marketplace, written only against its documented API.

It remembers when a shop publishes a listing and shows the recent ones in a strip at the top
of the shop's page (slot ``merchant.header``) and a "New" badge under the price (slot
``listing.after_price``). The package also ships the Lotus storefront theme.
"""

__version__ = "0.1.0"
