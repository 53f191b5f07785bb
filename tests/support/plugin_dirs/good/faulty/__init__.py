"""A merchant-level plugin that writes, then raises, in every hook it implements."""

from marketplace.plugins import PluginInfo, hookimpl

PLUGIN = PluginInfo(name="faulty", version="0.1.0", level="merchant",
                    description="Raises everywhere (test plugin).")


@hookimpl
def marketplace_listing_changed(merchant, listing_id, change):
    # The write must be rolled back with this plugin's savepoint, nobody else's work.
    merchant.description = "written by a plugin that then failed"
    raise RuntimeError("faulty event hook")


@hookimpl
def marketplace_validate_cart(merchant, cart):
    if cart == "crash":
        raise RuntimeError("faulty validation hook")


@hookimpl
def marketplace_storefront_slot(slot):
    raise RuntimeError("faulty slot")
