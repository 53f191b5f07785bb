"""A platform-level plugin using the start-up hooks (providers, CLI, Jinja, migrations) and the
demo hook."""

from datetime import timedelta
from pathlib import Path

import click

from marketplace.plugins import (
    BusyTime,
    Carrier,
    CodeFormat,
    CodeKind,
    DeliveryQuote,
    DeliveryRequest,
    PaymentProvider,
    PluginInfo,
    ShipmentInfo,
    SlotSource,
    TakenSlot,
    TrackingUpdate,
    hookimpl,
)
from marketplace.search.geo import haversine_m

PLUGIN = PluginInfo(name="platform_tools", version="2.0.0", level="platform",
                    category="integration", description="Start-up hooks (test plugin).")


class CashDrawer(PaymentProvider):
    identifier = "cash_drawer"
    label = "Cash at the counter"
    offline = True

    def supports_currency(self, currency):
        return currency == "VND"

    def prepare(self, payment, **context):
        return {"instructions": "Pay at the counter"}

    def authorize(self, payment, **context):
        return "pending"

    def capture(self, payment, amount):
        return "captured"

    def void(self, payment):
        return "voided"

    def refund(self, refund):
        return "refunded"

    def handle_webhook(self, request):
        return ("", 204)


class Walker(Carrier):
    """Delivers on foot within 2 km of the store, one flat price, no cash; books nothing
    anywhere (its tracking reference is the shipment's own) and never has news."""

    identifier = "walker"

    def quote(self, request: DeliveryRequest) -> list[DeliveryQuote]:
        if haversine_m(*request.origin, *request.destination) > 2000 \
                or request.cash_on_delivery:
            return []
        return [DeliveryQuote(
            carrier=self.identifier, service="on_foot", label="On foot", fee=15000,
            currency=request.currency, window_start=request.asked_at,
            window_end=request.asked_at + timedelta(hours=1), cash_on_delivery=False)]

    def create_shipment(self, shipment: ShipmentInfo) -> str:
        return f"W-{shipment.reference}"

    def cancel(self, shipment: ShipmentInfo) -> None:
        return None

    def track(self, shipment: ShipmentInfo) -> list[TrackingUpdate]:
        return []

    def handle_webhook(self, request):
        return ("", 204)


class Counter(SlotSource):
    """A service counter's own tally: the time of every booking it was told of, in memory."""

    identifier = "counter"

    def __init__(self):
        self.taken: dict[int, TakenSlot] = {}

    def availability(self, query):
        return [BusyTime(resource_id, slot.starts_at, slot.ends_at)
                for slot in self.taken.values() if slot.booking_id != query.booking_id
                and slot.starts_at < query.ends_at and slot.ends_at > query.starts_at
                for resource_id in slot.resource_ids if resource_id in query.resource_ids]

    def hold(self, slot):
        self.taken[slot.booking_id] = slot

    def release(self, slot):
        self.taken.pop(slot.booking_id, None)


class Plain(CodeFormat):
    identifier = "plain"

    def issue(self, code):
        return f"CODE-{code}"

    def parse(self, text):
        return text.removeprefix("CODE-")


class Cloakroom(CodeKind):
    """A coat ticket: whoever shows it gets the coat back."""

    identifier = "cloakroom"

    def holder_id(self, code):
        return None

    def describe(self, code):
        return {"title": f"Coat {code.subject_id}"}

    def redeem(self, code, *, store, actor, details, now):
        return {"coat": code.subject_id}


@hookimpl
def marketplace_register_code_kinds(register):
    register(Cloakroom())


@hookimpl
def marketplace_register_payment_providers(register):
    register(CashDrawer())


@hookimpl
def marketplace_register_carriers(register):
    register(Walker())


@hookimpl
def marketplace_register_slot_sources(register):
    register(Counter())


@hookimpl
def marketplace_register_code_formats(register):
    register(Plain())


@click.command("platform-tools-hello")
def hello_command():
    click.echo("hello from platform_tools")


RUNS: list = []


def tidy_up(now) -> int:
    RUNS.append(now)
    return 3


@hookimpl
def marketplace_register_periodic_jobs(register):
    register("platform_tools.tidy_up", tidy_up, every_minutes=5)


@hookimpl
def marketplace_add_cli_commands(cli):
    cli.add_command(hello_command)


@hookimpl
def marketplace_prepare_jinja_env(env):
    env.filters["shout"] = lambda text: f"{text}!".upper()


@hookimpl
def marketplace_migration_locations():
    return str(Path(__file__).parent / "migrations" / "versions")


DEMO_SHOPS: list = []


@hookimpl
def marketplace_demo_data(shops):
    # Records what it is handed; a shop named "broken" shows that a failure aborts the load.
    if "broken" in shops:
        raise RuntimeError("no demo for a broken shop")
    DEMO_SHOPS.append(dict(shops))
