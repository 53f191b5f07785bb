"""Provider classes for keyed operations, and the registries that hold them.

A hook fans out to every plugin; a payment, a shipment or a slot belongs to exactly one
provider, chosen by its ``identifier``. So keyed operations are methods on provider objects
that plugins hand to the registration hooks (``marketplace_register_payment_providers`` …),
and a registry per kind answers "which provider is ``stripe``?" and "which may this merchant
use?". The domain records the methods receive (payments, codes) arrive with the
issues that build those domains; until then their parameters are typed ``Any``. Slot sources
and carriers speak in plain frozen records (``SlotQuery``, ``BusyTime``, ``TakenSlot``;
``DeliveryRequest``, ``DeliveryQuote``, ``ShipmentInfo``, ``TrackingUpdate``) so an outside
calendar or courier needs none of the platform's tables.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

if TYPE_CHECKING:
    from .manager import PluginPlatform

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{1,47}$")


class Provider(ABC):
    """Common ground: a stable ``identifier`` stored in records, a human ``label``.

    ``plugin`` is filled in by the registry with the name of the plugin that registered the
    provider, so the platform knows whose merchant setting switches it on.
    """

    identifier: ClassVar[str]
    label: ClassVar[str] = ""
    plugin: str = ""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {getattr(self, 'identifier', '?')} from {self.plugin}>"


class PaymentProvider(Provider):
    """A way to pay. ``prepare`` never moves money; the rest talk to the payment service."""

    #: True when the customer pays at the counter (pay at store, cash on delivery): the order
    #: is confirmed at once and staff record the payment when they take it. False: the order
    #: waits for the payment (a card, a transfer) before it is confirmed.
    offline: ClassVar[bool] = False
    #: True when the money goes straight to the merchant (the counter, a transfer to the
    #: merchant's own account) rather than through the platform: the settlement ledger then
    #: counts the commission as owed by the merchant.
    money_to_merchant: ClassVar[bool] = False
    #: True when nobody online can tell the payment arrived (a bank transfer): staff confirm
    #: it in the dashboard or the API, or a bank-notification plugin calls
    #: ``marketplace.orders.lifecycle.payment_received`` for them.
    confirmed_by_staff: ClassVar[bool] = False
    #: True when the courier takes the money at the door (cash on delivery): offered only
    #: for a delivery whose carrier takes cash there; the order is confirmed at once and is
    #: paid when the merchant reconciles the cash the courier brought back.
    collected_on_delivery: ClassVar[bool] = False
    #: A template of the plugin ("<plugin>/<file>.html") shown on the customer's order page
    #: while the payment waits (a QR code to scan, bank details), with ``order`` and
    #: ``payment`` in its context; ``None``: nothing to show.
    instructions_template: ClassVar[str | None] = None
    #: The endpoint (``"<blueprint>.<view>"``, taking ``checkout_id``) of the plugin's page
    #: where the customer pays right after placing the orders (a card form); ``None``: the
    #: customer goes to the order page.
    pay_endpoint: ClassVar[str | None] = None
    #: One sentence shown under the option at checkout (how and when the money is taken);
    #: ``None``: the label says it all.
    checkout_note: ClassVar[str | None] = None

    def supports_currency(self, currency: str) -> bool:
        """Whether payments in this ISO 4217 currency are possible. Default: all."""
        return True

    @abstractmethod
    def prepare(self, payment: Any, **context: Any) -> dict:
        """Describe what the checkout page needs (client secret, QR payload …); no money moves."""

    @abstractmethod
    def authorize(self, payment: Any, **context: Any) -> Any:
        """Reserve or take the amount; returns the provider's new state for the payment."""

    @abstractmethod
    def capture(self, payment: Any, amount: int) -> Any:
        """Take ``amount`` (minor units, ≤ authorized) of an authorized payment. Raise
        ``ValidationError`` when the provider refuses for good (the authorization lapsed):
        the payment is then recorded as failed, with the message, for staff. Return
        ``PaymentState.AUTHORIZED`` when the capture is deferred (one provider payment
        shared by several orders) and the provider records it later."""

    @abstractmethod
    def void(self, payment: Any) -> Any:
        """Release an authorization that will not be captured."""

    @abstractmethod
    def refund(self, refund: Any) -> Any:
        """Pay back a refund record's amount of a captured payment. Return
        ``RefundState.PENDING`` when the provider answers later; raise ``ValidationError``
        when it refuses."""

    @abstractmethod
    def handle_webhook(self, request: Any) -> Any:
        """Verify and apply a notification from the provider; returns the HTTP answer."""


@dataclass(frozen=True)
class DeliveryRequest:
    """What a carrier is asked to price: one merchant's goods from one of its stores to a
    customer's address. Positions are (latitude, longitude) in decimal degrees; money is in
    minor units of ``currency``; ``asked_at`` is an aware UTC instant (the windows of the
    quotes start from it)."""

    merchant_id: int
    store_id: int
    origin: tuple[float, float]
    destination: tuple[float, float]
    district: str
    city: str
    basket_total: int
    currency: str
    cash_on_delivery: bool
    asked_at: datetime


@dataclass(frozen=True)
class DeliveryQuote:
    """One way a carrier offers to deliver: its price and promise, shown to the customer at
    checkout and copied onto the shipment when chosen. ``carrier`` is the carrier's
    ``identifier``; ``service`` a code of the carrier's own (``same_day``, ``express``)."""

    carrier: str
    service: str
    label: str
    fee: int
    currency: str
    window_start: datetime
    window_end: datetime
    cash_on_delivery: bool
    inspect_before_accept: bool = False
    delivery_attempts: int = 1
    redelivery_fee: int = 0


@dataclass(frozen=True)
class ShipmentInfo:
    """A shipment as a carrier sees it: enough to book, cancel or track it, none of the
    platform's tables. ``tracking_reference`` is the carrier's own reference once
    ``create_shipment`` returned it (``None`` before)."""

    shipment_id: int
    reference: str
    merchant_id: int
    store_id: int
    origin: tuple[float, float]
    destination: tuple[float, float]
    recipient_name: str
    recipient_phone: str
    address: str
    service: str
    cod_amount: int
    currency: str
    tracking_reference: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class TrackingUpdate:
    """One thing the carrier says happened to a shipment. ``event_id`` is the carrier's own
    id of that news (the platform records each id once, so a replay changes nothing);
    ``status`` is one of the shipment states (``picked_up``, ``in_transit``,
    ``out_for_delivery``, ``delivered``, ``failed_attempt``, ``returning``,
    ``returned_to_store``, ``cancelled``); ``cash_collected``: cash on delivery taken, in
    minor units, when ``status`` is ``delivered``."""

    event_id: str
    status: str
    occurred_at: datetime
    note: str | None = None
    cash_collected: int | None = None


class Carrier(Provider):
    """A delivery service: quotes, shipments and their tracking.

    Like payments, nothing holds a row lock across a call to an outside carrier: a quote is
    asked before anything is locked, and booking or cancelling goes through the outbox after
    the commit that decided it, retried on failure. What a carrier reports (``track``, a
    webhook) is applied by the platform's shipment service, which dedupes by
    ``TrackingUpdate.event_id`` and never moves a shipment backwards."""

    @abstractmethod
    def quote(self, request: DeliveryRequest) -> list[DeliveryQuote]:
        """Prices and promised windows for delivering ``request`` from a store to an address,
        cheapest first. An empty list means the carrier cannot deliver there (outside its
        zones) or cannot take cash on delivery when ``request.cash_on_delivery`` asks for it.
        Called while the customer chooses at checkout, before any row is locked: answer
        fast and deterministically (the same request gives the same quotes). Raise a
        ``MarketplaceError`` to tell the customer why; nothing is written."""

    @abstractmethod
    def create_shipment(self, shipment: ShipmentInfo) -> str:
        """Book the delivery with the carrier and return its tracking reference. Called
        after the commit that created the shipment, outside any transaction's locks (the
        outbox worker); retried when it raises anything but a ``ValidationError``, so use
        ``shipment.reference`` as the idempotency key: one shipment is booked once. Raise
        ``ValidationError`` when the carrier refuses for good."""

    @abstractmethod
    def cancel(self, shipment: ShipmentInfo) -> None:
        """Cancel a booked delivery that has not left the store. Called after the commit
        that cancelled the shipment, like ``create_shipment``; a repeat must be harmless.
        Raise ``ValidationError`` when the carrier refuses (already picked up)."""

    @abstractmethod
    def track(self, shipment: ShipmentInfo) -> list[TrackingUpdate]:
        """What the carrier knows happened to the shipment, oldest first (for carriers
        without webhooks, polled by a job outside any lock). Updates already recorded may be
        returned again: they are recognised by ``event_id`` and change nothing."""

    @abstractmethod
    def handle_webhook(self, request: Any) -> Any:
        """Verify and apply a tracking notification from the carrier; returns the HTTP
        answer. Check the signature before reading anything and refuse a bad one without
        writing; hand each update to the platform's shipment service, which raises
        ``NotFound`` for an unknown shipment and ``InvalidTransition`` for an impossible
        move."""


@dataclass(frozen=True)
class SlotQuery:
    """The time of some bookable resources (staff members, rooms, tables of a booking
    plugin) of one merchant's store in the UTC window [``starts_at``, ``ends_at``), asked
    while working out what ``listing`` can be booked at. ``booking_id``: a booking being
    moved, whose own time is not busy for its move."""

    merchant_id: int
    store_id: int
    listing_id: int
    resource_ids: tuple[int, ...]
    starts_at: datetime
    ends_at: datetime
    booking_id: int | None = None


@dataclass(frozen=True)
class BusyTime:
    """A span (aware datetimes, half-open) in which one resource is not available."""

    resource_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class TakenSlot:
    """The time a booking takes from its resources, buffers included (UTC)."""

    booking_id: int
    reference: str
    merchant_id: int
    store_id: int
    listing_id: int
    resource_ids: tuple[int, ...]
    starts_at: datetime
    ends_at: datetime


class SlotSource(Provider):
    """What is known about the time of bookable resources: a booking plugin's own bookings,
    or a staff member's outside calendar. Availability is the intersection of every source
    the merchant runs: a start is offered only when no source has a staff member or room it
    needs busy over the booked time, buffers included.

    Every method runs inside the request's transaction, while a customer waits: answer from
    the database. A source that mirrors an outside service keeps a local copy synced by a
    periodic job of its plugin (``marketplace_register_periodic_jobs``) and sends its changes
    out after the commit (from that job), rather than calling out from here: what ``hold``
    and ``release`` write is kept only if the booking's transaction commits."""

    @abstractmethod
    def availability(self, query: SlotQuery) -> list[BusyTime]:
        """The spans in which each of ``query.resource_ids`` is NOT available within the
        query's window (spans reaching past it are fine). Resources the source does not know
        get nothing; time of the booking ``query.booking_id`` (being moved) is left out.
        Called whenever free starts are worked out (a booking page, a hold, a move). Raise a
        ``MarketplaceError`` to stop the booking with that message; any other exception is
        logged with the plugin's name and the source is left out of that answer."""

    @abstractmethod
    def hold(self, slot: TakenSlot) -> None:
        """A booking takes ``slot``: called when it is held or moved, inside the booking's
        transaction, after the booking plugin wrote its own occupancy. Write to the plugin's
        own tables (e.g. the event its periodic job pushes to the outside calendar), or
        raise a ``MarketplaceError`` (``Conflict``) to refuse: then that staff member and
        room are not taken and the next free pair is tried. It runs in a savepoint, so what
        it wrote is rolled back when it raises; any other exception is logged with the
        plugin's name and the booking goes on."""

    @abstractmethod
    def release(self, slot: TakenSlot) -> None:
        """The booking of ``slot`` gave its time back: cancelled, expired, a no-show, moved
        to another time (``hold`` is then told of the new one), or refused by another source
        after this one held it. Called inside that transaction, in a savepoint; it cannot
        refuse: whatever it raises is logged with the plugin's name, rolled back, and the
        booking goes on."""


@dataclass(frozen=True)
class ParsedCode:
    """What a code format read out of a scanned text, after checking its signature."""

    merchant_id: int
    code_id: int
    kind: str
    subject_id: int
    valid_from: datetime | None
    valid_until: datetime | None


class CodeFormat(Provider):
    """How a redeemable code is written into a QR code and read back at the counter.

    The platform uses one format for every code (``CODE_FORMAT`` in the config); the human
    code that goes with it is the core's own. A format's payload must be verifiable without
    the server (a scanner offline holds only what the format lets it download)."""

    @abstractmethod
    def issue(self, code: Any) -> str:
        """The QR payload for a ``RedeemableCode`` row (id, merchant, kind, subject and
        validity window are set). Called in the transaction that creates the row."""

    @abstractmethod
    def parse(self, text: str) -> ParsedCode:
        """Read a scanned text back and verify it; raise ``ValidationError`` when it is not
        one of this format's payloads or its signature does not hold."""


class CodeKind(Provider):
    """What a code stands for (``identifier`` is the kind: ``pickup``, ``voucher`` …) and what
    redeeming it does. The core registers its own kinds; a plugin adds one (an appointment,
    an event ticket) through ``marketplace_register_code_kinds``."""

    def store_ids(self, code: Any) -> set[int] | None:
        """The stores where the code may be redeemed; ``None``: any store of the merchant."""
        return None

    @abstractmethod
    def holder_id(self, code: Any) -> int | None:
        """The user who holds the code and may see it (its QR image, its human code)."""

    @abstractmethod
    def describe(self, code: Any) -> dict:
        """What the staff member must see before confirming, as JSON-ready data: ``title``
        and optional ``lines`` (what to hand over), ``holder``, ``conditions``,
        ``needs`` (fields the confirmation asks for, e.g. ``["amount"]``)."""

    def quote(self, code: Any, *, store: Any, details: dict, now: datetime) -> dict | None:
        """What redeeming would come to with these ``details`` (a voucher's discount on the
        bill typed so far), for the staff member to see before confirming; changes nothing.
        Raise ``ValidationError`` when it could not be redeemed with them. Default: ``None``
        (nothing to work out)."""
        return None

    @abstractmethod
    def redeem(self, code: Any, *, store: Any, actor: Any, details: dict,
               now: datetime) -> dict:
        """Do what redeeming means (hand the order over, apply the voucher to a bill) inside
        the redemption's transaction; the code row is locked and already marked redeemed.
        ``details`` are the fields the staff member confirmed. Raise a ``MarketplaceError``
        to refuse (nothing is kept); return JSON-ready facts for the answer."""


class PayoutMethod(Provider):
    """A way for the platform to pay a merchant its payout (a bank's transfer API, a wallet).

    Platform level: the admin chooses it for a draft payout, and the outbox worker calls
    ``send`` after that choice committed. Without one, payouts go by the bank file."""

    def supports_currency(self, currency: str) -> bool:
        """Whether payouts in this ISO 4217 currency are possible. Default: all."""
        return True

    @abstractmethod
    def send(self, payout: Any) -> str:
        """Pay ``payout.amount`` (minor units of ``payout.currency``) to the account the payout
        holds (``bank_code``, ``bank_name``, ``account_number``, ``holder``), with
        ``payout.transfer_message`` as the message. Return the transfer's reference (it is
        recorded and the payout is paid). Raise ``ValidationError`` when the money cannot go
        (the payout goes back to draft with the message, for the admin). Any other exception
        is retried later by the outbox, so use ``payout.code`` as the idempotency key: the
        same payout must never be paid twice."""


P = TypeVar("P", bound=Provider)


class DuplicateProvider(ValueError):
    pass


class ProviderRegistry(Generic[P]):
    """The providers of one kind, by identifier. Refuses duplicates and foreign objects."""

    def __init__(self, kind: str, base: type[P], platform: PluginPlatform | None = None):
        self.kind = kind
        self.base = base
        self.platform = platform
        self._providers: dict[str, P] = {}

    def register(self, provider: P, *, plugin: str) -> P:
        if not isinstance(provider, self.base):
            raise TypeError(f"{self.kind}: {provider!r} from plugin {plugin!r} is not a "
                            f"{self.base.__name__}")
        identifier = getattr(provider, "identifier", None)
        if not isinstance(identifier, str) or not IDENTIFIER.match(identifier):
            raise ValueError(f"{self.kind}: identifier {identifier!r} from plugin {plugin!r} "
                             f"must match {IDENTIFIER.pattern}")
        if identifier in self._providers:
            other = self._providers[identifier].plugin
            raise DuplicateProvider(f"{self.kind} {identifier!r} is registered twice: by "
                                    f"{other!r} and by {plugin!r}")
        provider.plugin = plugin
        self._providers[identifier] = provider
        return provider

    def forget(self, plugin: str) -> None:
        """Drop the providers ``plugin`` registered (the plugin was removed again)."""
        self._providers = {key: provider for key, provider in self._providers.items()
                           if provider.plugin != plugin}

    def get(self, identifier: str) -> P:
        from ..errors import NotFound

        try:
            return self._providers[identifier]
        except KeyError:
            raise NotFound(f"{self.kind}: {identifier}") from None

    def __contains__(self, identifier: object) -> bool:
        return identifier in self._providers

    def __iter__(self) -> Iterator[P]:
        return iter(self._providers.values())

    def __len__(self) -> int:
        return len(self._providers)

    def active_in(self, merchant: Any) -> list[P]:
        """The providers this merchant may use: their plugin is installed and enabled for it."""
        if self.platform is None:
            return list(self._providers.values())
        active = self.platform.active_plugin_names(merchant)
        return [p for p in self._providers.values() if p.plugin in active]
