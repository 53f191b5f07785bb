"""What each merchant role may do. Data, not code: views and the API ask ``allowed``."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    STAFF = "staff"


class Permission(StrEnum):
    VIEW = "view"                      # see the merchant's stores, listings, stock
    ADJUST_STOCK = "adjust_stock"      # stock movements, counts, transfers, CSV import
    MANAGE_STORES = "manage_stores"    # create/edit stores, hours, exceptions, pickup settings
    MANAGE_LISTINGS = "manage_listings"
    MANAGE_STAFF = "manage_staff"      # invite, change roles, remove
    MANAGE_PROFILE = "manage_profile"  # merchant name, logo, contact
    MANAGE_TOKENS = "manage_tokens"    # create personal access tokens for oneself
    MANAGE_PLUGINS = "manage_plugins"  # enable plugins, edit their settings (may hold secrets)
    HANDLE_ORDERS = "handle_orders"    # the pickup queue, collection, returns at the counter
    VIEW_FINANCES = "view_finances"    # the statement: commission, balance with the platform
    MANAGE_CAMPAIGNS = "manage_campaigns"  # vouchers, campaigns, posters and their funnel
    RECONCILE_CASH = "reconcile_cash"  # confirm the cash couriers bring back (COD)


P = Permission

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.MANAGER: frozenset({P.VIEW, P.ADJUST_STOCK, P.MANAGE_STORES, P.MANAGE_LISTINGS,
                             P.MANAGE_STAFF, P.MANAGE_TOKENS, P.HANDLE_ORDERS,
                             P.MANAGE_CAMPAIGNS, P.RECONCILE_CASH}),
    Role.STAFF: frozenset({P.VIEW, P.ADJUST_STOCK, P.MANAGE_TOKENS, P.HANDLE_ORDERS}),
}

# A manager may invite and edit staff and managers, never owners.
ASSIGNABLE_ROLES: dict[Role, frozenset[Role]] = {
    Role.OWNER: frozenset(Role),
    Role.MANAGER: frozenset({Role.MANAGER, Role.STAFF}),
    Role.STAFF: frozenset(),
}


def allowed(role: Role | str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[Role(role)]
