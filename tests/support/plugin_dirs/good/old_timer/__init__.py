"""A plugin written for an older core: the platform refuses to load it."""

from marketplace.plugins import PluginInfo, hookimpl

PLUGIN = PluginInfo(name="old_timer", version="0.0.1", core_versions="<0.1",
                    description="Needs core < 0.1 (test plugin).")


@hookimpl
def marketplace_listing_changed(listing_id):
    raise AssertionError("an incompatible plugin must never be called")
