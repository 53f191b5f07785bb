"""Registers a payment provider whose identifier another plugin also uses."""

from marketplace.plugins import PluginInfo, hookimpl

from .._cash import Cash

PLUGIN = PluginInfo(name="pay_one", version="1.0.0", level="platform")


@hookimpl
def marketplace_register_payment_providers(register):
    register(Cash())
