"""The hooks of the marketplace: the public contract between the core and its plugins.

Every hook is called with keyword arguments; an implementation may accept fewer of them
(pluggy passes only the ones it names). Three kinds, and the demo's own hook:

* **Start-up hooks** run once per app while ``create_app`` builds it, for every installed
  plugin: they hand providers, blueprints, commands, migrations and template helpers to the
  core through a ``register`` callback or the object to extend.
* **Merchant-scoped hooks** run only for plugins the merchant enabled (and platform-level
  plugins the platform installed), through ``platform.hooks_for(merchant)``.
* **Events after commit** are merchant-scoped too, but delivered through the outbox after the
  transaction that caused them committed; a plugin that raises is logged and isolated.
* **The demo hook** (``marketplace_demo_data``) runs on every loaded plugin when a developer
  loads the demo marketplace, so a plugin adds demo rows without the core importing it.

``docs/plugins.md`` carries a reference entry for every hook here (a test keeps them equal).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import hookspec

if TYPE_CHECKING:
    import click
    import jinja2
    from flask import Flask
    from markupsafe import Markup

    from ..merchants.models import Merchant
    from .providers import (
        Carrier,
        CodeFormat,
        CodeKind,
        PaymentProvider,
        PayoutMethod,
        SlotSource,
    )


@dataclass(frozen=True)
class PriceAdjustment:
    """A discount (negative ``amount``) or fee (positive) returned by ``marketplace_price_lines``.

    ``amount`` is in minor units of the lines' currency; ``line_key`` names the line it applies
    to, or is ``None`` for the whole order; ``code`` is a stable identifier for receipts.
    """

    code: str
    label: str
    amount: int
    line_key: str | None = None


# -- start-up: registration ------------------------------------------------------------------

@hookspec
def marketplace_register_payment_providers(
        register: Callable[[PaymentProvider], PaymentProvider]) -> None:
    """Hand the platform this plugin's payment providers.

    Called once at start-up on every loaded plugin. Call ``register(provider)`` with an
    instance of a ``PaymentProvider`` subclass for each way to pay the plugin offers; a second
    provider with an identifier already taken makes start-up fail. Returns nothing.

    Example::

        @hookimpl
        def marketplace_register_payment_providers(register):
            register(BankTransfer())
    """


@hookspec
def marketplace_register_carriers(register: Callable[[Carrier], Carrier]) -> None:
    """Hand the platform this plugin's delivery carriers (``Carrier`` instances).

    Called once at start-up on every loaded plugin; duplicates fail start-up. Returns
    nothing.

    Example::

        @hookimpl
        def marketplace_register_carriers(register):
            register(LocalCourier())
    """


@hookspec
def marketplace_register_slot_sources(register: Callable[[SlotSource], SlotSource]) -> None:
    """Hand the platform this plugin's sources of bookable time (``SlotSource`` instances).

    Called once at start-up on every loaded plugin; duplicates fail start-up. Returns
    nothing.

    Example::

        @hookimpl
        def marketplace_register_slot_sources(register):
            register(AppointmentSlots())
    """


@hookspec
def marketplace_register_code_formats(register: Callable[[CodeFormat], CodeFormat]) -> None:
    """Hand the platform this plugin's code formats (``CodeFormat`` instances).

    Called once at start-up on every loaded plugin; duplicates fail start-up. Returns
    nothing.

    Example::

        @hookimpl
        def marketplace_register_code_formats(register):
            register(SignedQr())
    """


@hookspec
def marketplace_register_code_kinds(register: Callable[[CodeKind], CodeKind]) -> None:
    """Hand the platform the kinds of redeemable things this plugin issues codes for
    (``CodeKind`` instances: an appointment, an event ticket …).

    Called once at start-up on every loaded plugin; duplicates fail start-up. The core
    registers ``pickup`` and ``voucher`` itself. The plugin then issues codes with
    ``marketplace.redemption.services.issue`` and staff redeem them with the same scanner.
    Returns nothing.

    Example::

        @hookimpl
        def marketplace_register_code_kinds(register):
            register(TicketKind())
    """


@hookspec
def marketplace_register_payout_methods(
        register: Callable[[PayoutMethod], PayoutMethod]) -> None:
    """Hand the platform this plugin's payout methods (``PayoutMethod`` instances).

    Called once at start-up on every loaded plugin. Call ``register(method)`` for each way
    the plugin can pay merchants their payouts (a bank's transfer API, a wallet); the admin
    then chooses it for a draft payout, and its ``send`` is called after the commit, through
    the outbox. A second method with an identifier already taken makes start-up fail.
    Returns nothing.

    Example::

        @hookimpl
        def marketplace_register_payout_methods(register):
            register(BankApiTransfer())
    """


@hookspec
def marketplace_register_periodic_jobs(register: Callable[..., None]) -> None:
    """Hand the platform work to run in the background every few minutes (holds that lapse,
    reminders before a visit).

    Called once at start-up on every loaded plugin. Call
    ``register(name, job, every_minutes=1)``: ``name`` starts with the plugin's name
    (``<plugin>.<what>``); ``job(now)`` runs in the job worker inside an app context, commits
    its own work (a transaction per item, so one failure does not undo the rest) and returns
    how many things it did. A job runs only while the platform has its plugin installed; an
    exception is logged and the next run tries again. A duplicate name fails start-up.
    Returns nothing.

    Example::

        @hookimpl
        def marketplace_register_periodic_jobs(register):
            register("waitlist.offer_freed_tables", offer_freed_tables, every_minutes=5)
    """


@hookspec
def marketplace_add_blueprints(app: Flask,
                               register: Callable[..., None]) -> None:
    """Add Flask blueprints (pages, API endpoints, webhook receivers) to the app.

    Called once at start-up on every loaded plugin. Call ``register(blueprint,
    url_prefix=None)``; the blueprint's name must start with the plugin's name, so the
    platform can switch its routes off when the plugin is blocked. Returns nothing.

    Example::

        bp = Blueprint("gift_wrap", __name__, url_prefix="/gift-wrap")

        @hookimpl
        def marketplace_add_blueprints(register):
            register(bp)
    """


@hookspec
def marketplace_add_cli_commands(cli: click.Group) -> None:
    """Add commands to the ``marketplace`` command line.

    Called once at start-up on every loaded plugin with the app's command group; add
    commands or a group named after the plugin with ``cli.add_command``. Returns nothing.

    Example::

        @hookimpl
        def marketplace_add_cli_commands(cli):
            cli.add_command(sync_command, "gift-wrap-sync")
    """


@hookspec
def marketplace_migration_locations() -> str | list[str] | None:
    """Name the folder(s) holding this plugin's Alembic revisions.

    Called at start-up on every loaded plugin. Return the path of a ``versions`` folder
    (or a list of them). Its revisions form a branch labelled with the plugin's name whose
    first revision ``depends_on`` the core revision it needs; ``marketplace db upgrade``
    applies every head. All results are collected.

    Example::

        @hookimpl
        def marketplace_migration_locations():
            return str(Path(__file__).parent / "migrations" / "versions")
    """


@hookspec
def marketplace_prepare_jinja_env(env: jinja2.Environment) -> None:
    """Add filters, tests or globals to a Jinja environment.

    Called at start-up on every loaded plugin for the app's environment, and again for
    each theme's environment when it is first built (sandboxed themes included, so add only
    what is safe for a third-party template). Returns nothing.

    Example::

        @hookimpl
        def marketplace_prepare_jinja_env(env):
            env.filters["km"] = lambda metres: f"{metres / 1000:.1f} km"
    """



# -- platform level: the demo marketplace ------------------------------------------------------

@hookspec
def marketplace_demo_data(shops: Mapping[str, Merchant]) -> None:
    """Add this plugin's demo rows for the demo marketplace's shops (by slug).

    Called by ``marketplace demo-data`` (and so ``make run``) after the core's demo shops,
    stores, listings and staff exist, inside the same transaction, on every loaded plugin.
    ``shops`` maps each demo shop's slug (``lua-spa``, ``suong-som`` …) to its ``Merchant``;
    a shop may be missing, so look it up with ``shops.get``. Must be idempotent like the
    core's loader: look rows up before creating them and leave existing ones alone (a second
    run creates nothing); flush through your services, do not commit. Returns nothing; an
    exception aborts the demo load (it is a developer's command).

    Example::

        @hookimpl
        def marketplace_demo_data(shops):
            merchant = shops.get("suong-som")
            if merchant is not None and gift_wrap.rule_of(merchant) is None:
                gift_wrap.create_rule(merchant, price=20000)
    """

# -- merchant-scoped: validation and pricing ---------------------------------------------------

@hookspec
def marketplace_validate_cart(merchant: Merchant, cart: Any, customer: Any) -> None:
    """Check a merchant's part of a cart before an order is placed.

    Called at checkout for each merchant in the cart, on the plugins that merchant enabled.
    Raise ``marketplace.errors.ValidationError`` with a message for the consumer to block the
    order; return nothing to allow it. Any other exception also blocks, with a generic message
    naming the plugin (and is logged). Not firstresult: every plugin is asked.

    Example::

        @hookimpl
        def marketplace_validate_cart(merchant, cart):
            if sum(line.quantity for line in cart.lines) > 20:
                raise ValidationError("At most 20 items per order.")
    """


@hookspec
def marketplace_validate_booking(merchant: Merchant, booking: Any, customer: Any) -> None:
    """Check a booking (appointment, table, viewing) before it is held.

    Called when a consumer asks for a slot, on the plugins the merchant enabled. Raise
    ``ValidationError`` to refuse the booking with a message; return nothing to allow it.
    Other exceptions block with a generic message and are logged.

    Example::

        @hookimpl
        def marketplace_validate_booking(booking):
            if booking.party_size > 8:
                raise ValidationError("Call us for groups above 8.")
    """


@hookspec
def marketplace_price_lines(merchant: Merchant, lines: list[Any], currency: str,
                            customer: Any, codes: list[str]) -> list[PriceAdjustment] | None:
    """Add discounts or fees to a merchant's order lines.

    Called while a checkout is priced, on the plugins the merchant enabled, and again when
    an order is priced for what was actually taken (a partial pickup). ``lines`` carry a
    ``key``, ``variant``, ``quantity`` and ``unit_price`` (minor units of ``currency``).
    ``codes`` are the codes of the vouchers the customer chose from their wallet for this
    merchant's order (empty when none); the checkout has checked that each is theirs and
    usable. The core prices them itself (adjustments coded ``voucher:<id>``); a plugin may
    read them, for instance not to stack its own discount on a voucher.
    Return a list of ``PriceAdjustment`` (or ``None``); every plugin's results are added up.
    A total never goes below zero.

    Example::

        @hookimpl
        def marketplace_price_lines(lines, currency):
            if len(lines) >= 3:
                return [PriceAdjustment("three_for_less", "3+ items", -10000)]
    """


# -- merchant-scoped: events after commit ------------------------------------------------------

@hookspec
def marketplace_order_state_changed(merchant: Merchant, order_id: int, old_state: str,
                                    new_state: str, event: str) -> None:
    """An order moved from ``old_state`` to ``new_state`` by ``event`` (e.g. ``ready``).

    Called after the change committed, through the outbox, on the plugins the merchant
    enabled. Returns nothing; an exception is logged and changes nothing for the order.

    Example::

        @hookimpl
        def marketplace_order_state_changed(order_id, new_state):
            if new_state == "collected":
                send_thank_you(order_id)
    """


@hookspec
def marketplace_send_notification(merchant: Merchant, kind: str, object_id: int,
                                  recipient: Mapping[str, Any], subject: str, text: str,
                                  link: str) -> None:
    """Deliver a message to a customer through this plugin's channel (SMS, Zalo, push …).

    Called after commit through the outbox, on the plugins the merchant enabled (and
    platform-level plugins), for every message the core sends a customer by e-mail too.
    ``kind`` says what happened, as ``<object>.<what>`` (``order.pending_payment``,
    ``order.confirmed``, ``order.ready``, ``order.reminder``, ``order.collected``,
    ``order.cancelled``, ``order.expired``, ``order.no_show``, ``order.declined``);
    ``object_id`` is that
    object's id. ``recipient`` holds ``user_id``, ``name``, ``email``, ``phone`` (may be
    ``None``) and ``locale``. ``subject`` is one line and ``text`` a few short lines, both
    already in the recipient's language; ``link`` is the absolute address of the page about
    it. Returns nothing; a plugin that raises is logged and isolated, and the e-mail still goes.

    Example::

        @hookimpl
        def marketplace_send_notification(kind, recipient, subject, link):
            if recipient["phone"] and kind in ("order.ready", "order.reminder"):
                sms.send(recipient["phone"], f"{subject} {link}")
    """


@hookspec
def marketplace_payment_state_changed(merchant: Merchant, payment_id: int, order_id: int | None,
                                      old_state: str, new_state: str) -> None:
    """A payment changed state (authorized, captured, voided, refunded …).

    Called after commit through the outbox, on the plugins the merchant enabled. Returns
    nothing; exceptions are logged and isolated.

    Example::

        @hookimpl
        def marketplace_payment_state_changed(payment_id, new_state):
            accounting.record(payment_id, new_state)
    """


@hookspec
def marketplace_booking_state_changed(merchant: Merchant, booking_id: int, old_state: str,
                                      new_state: str) -> None:
    """A booking changed state (held, confirmed, checked in, completed, no-show …).

    Called after commit through the outbox, on the plugins the merchant enabled. Returns
    nothing; exceptions are logged and isolated.

    Example::

        @hookimpl
        def marketplace_booking_state_changed(booking_id, new_state):
            if new_state == "no_show":
                crm.flag(booking_id)
    """


@hookspec
def marketplace_code_redeemed(merchant: Merchant, code_id: int, kind: str, subject_id: int,
                              store_id: int | None, staff_id: int | None) -> None:
    """A code (pickup, voucher, ticket …) was redeemed at a counter.

    Called after the redemption committed, through the outbox, on the plugins the merchant
    enabled. ``kind`` says what the code stands for and ``subject_id`` which one. Returns
    nothing; exceptions are logged and isolated.

    Example::

        @hookimpl
        def marketplace_code_redeemed(kind, subject_id):
            if kind == "voucher":
                loyalty.add_points(subject_id)
    """


@hookspec
def marketplace_listing_changed(merchant: Merchant, listing_id: int, change: str) -> None:
    """A listing was created, edited, published, unpublished, archived or restored.

    ``change`` is one of ``created``, ``updated``, ``published``, ``unpublished``,
    ``archived``, ``restored`` (restored listings are drafts again). Called after
    commit through the outbox, on the plugins the merchant enabled. Returns nothing;
    exceptions are logged and isolated.

    Example::

        @hookimpl
        def marketplace_listing_changed(listing_id, change):
            if change == "published":
                announce(listing_id)
    """


@hookspec
def marketplace_store_changed(merchant: Merchant, store_id: int, change: str) -> None:
    """A store was created, edited, or its opening hours or dated exceptions changed.

    ``change`` is ``created``, ``updated`` (details, position, pickup settings, active or not)
    or ``hours`` (weekly hours or an exception day). Called
    after commit through the outbox, on the plugins the merchant enabled. Returns nothing;
    exceptions are logged and isolated.

    Example::

        @hookimpl
        def marketplace_store_changed(store_id, change):
            maps.refresh(store_id)
    """


# -- merchant-scoped: storefront ---------------------------------------------------------------

@hookspec
def marketplace_storefront_context(merchant: Merchant | None, template: str,
                                   context: Mapping[str, Any]) -> dict[str, Any] | None:
    """Add variables to a storefront page before it renders.

    Called for every storefront page, on the plugins the page's merchant enabled (on pages
    without a merchant, such as the home page, only platform-level plugins). ``context`` is
    the page's own variables (read it, do not change it). Return a dict of new variables —
    prefix their names with your plugin's name — or ``None``. Results are merged in plugin
    order; the page's own variables always win.

    Example::

        @hookimpl
        def marketplace_storefront_context(merchant):
            return {"gift_wrap_price": 20000}
    """


@hookspec
def marketplace_storefront_slot(merchant: Merchant | None, slot: str,
                                context: Mapping[str, Any]) -> Markup | str | None:
    """Fill a named slot of a storefront template with HTML.

    Themes place slots with ``{{ slot("listing.after_price") }}``; the documented slot names
    are in ``marketplace.plugins.storefront.SLOTS``. Called while the page renders, on the
    plugins the page's merchant enabled. Return ``Markup`` (you escape), plain text (escaped
    for you) or ``None``; every plugin's results are shown in plugin order. An exception is
    logged and the slot stays empty.

    Example::

        @hookimpl
        def marketplace_storefront_slot(slot, context):
            if slot == "listing.after_price":
                return Markup("<p>{}</p>").format("Free gift wrap")
    """


@hookspec
def marketplace_merchant_plugin_enabled(merchant: Merchant, plugin_name: str,
                                        enabled: bool) -> None:
    """A merchant switched a plugin on (``enabled=True``) or off.

    Called after the change committed, on that plugin only, so it can create its defaults
    for the merchant or clean up. Returns nothing; exceptions are logged and isolated.

    Example::

        @hookimpl
        def marketplace_merchant_plugin_enabled(merchant, enabled):
            if enabled:
                create_default_rules(merchant.id)
    """
