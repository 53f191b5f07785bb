"""A platform-level plugin using the start-up hooks: providers, CLI, Jinja, migrations."""

from pathlib import Path

import click

from marketplace.plugins import (
    Carrier,
    CodeFormat,
    CodeKind,
    PaymentProvider,
    PluginInfo,
    SlotSource,
    hookimpl,
)

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
    identifier = "walker"

    def quote(self, shipment_request):
        return [{"price": 15000}]

    def create_shipment(self, shipment):
        return "W-1"

    def cancel(self, shipment):
        return "cancelled"

    def track(self, shipment):
        return []

    def handle_webhook(self, request):
        return ("", 204)


class Counter(SlotSource):
    identifier = "counter"

    def availability(self, listing, store, day, **options):
        return []

    def hold(self, slot, **context):
        return slot

    def release(self, hold):
        return None


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
