"""A hook implementation whose name is misspelt: start-up must fail loudly."""

from marketplace.plugins import PluginInfo, hookimpl

PLUGIN = PluginInfo(name="typo", version="1.0.0")


@hookimpl
def marketplace_listing_chnaged(listing_id, change):
    return None
