"""Merchant A can never reach merchant B's data: walk EVERY dashboard and API route that takes
an object id and call it as A with B's ids. Every one must answer 404, before it reads the
input, and nothing of B's may change. Store-limited members get the same 404 for the stores
they are not assigned to.

The walk is built from ``app.url_map``, so a route added later is covered without editing
this file; the URL parameter names are fixed by the house rules (see ``ID_PARAMS``).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.accounts import services as accounts
from marketplace.accounts.models import PersonalAccessToken
from marketplace.catalog import services as catalog
from marketplace.catalog.models import Listing, ListingImage, Variant
from marketplace.merchants import services as merchants
from marketplace.merchants.models import Invitation, Membership
from marketplace.plugins import services as plugin_services
from marketplace.settlement.models import Payout
from marketplace.stores import services as stores
from marketplace.stores.models import Store, StoreException
from tests.support.payouts import a_payout
from tests.support.shopping import PAY_AT_STORE, buy, pickup_choice, slot_at, stock

ID_PARAMS = ("store_id", "exception_id", "listing_id", "variant_id", "image_id",
             "membership_id", "invitation_id", "token_id", "payout_id")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
DASHBOARD = "/dashboard/<merchant_slug>/"
API = "/api/v1/"
# Public reads of any merchant's published things (the catalog, search, a bookable service's
# free times) are not merchant data; the rest of /api/v1 is walked.
API_EXCLUDED = ("/api/v1/catalog/", "/api/v1/search/", "/api/v1/openapi.json", "/api/v1/docs",
                "/api/v1/consumer/booking/services/")
PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def scoped_rules(app) -> list:
    """The rules of merchant-scoped routes that take at least one object id."""
    found = []
    for rule in app.url_map.iter_rules():
        path = rule.rule
        is_dashboard = path.startswith(DASHBOARD)
        is_api = path.startswith(API) and not path.startswith(API_EXCLUDED)
        if (is_dashboard or is_api) and set(rule.arguments) & set(ID_PARAMS):
            found.append(rule)
    return sorted(found, key=lambda r: r.rule)


def methods_of(rule) -> list[str]:
    return [m for m in METHODS if m in rule.methods]


def build(rule, values: dict) -> str:
    unknown = [name for name in rule.arguments if name not in values]
    assert not unknown, f"{rule.rule}: URL parameter(s) {unknown} are not among the fixed names"
    return PARAM.sub(lambda m: str(values[m.group(1)]), rule.rule)


@dataclass
class Tenant:
    """One merchant with one object of every kind a URL can name."""

    merchant: object
    owner: Membership
    owner_token: str
    ids: dict = field(default_factory=dict)


def png() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 128, 0)).save(out, format="PNG")
    out.seek(0)
    return out


@pytest.fixture
def tenants(db, make_merchant, make_store, make_listing, make_member, owner_of, api_token,
            admin_user):
    def tenant() -> Tenant:
        merchant = make_merchant()
        owner = owner_of(merchant)
        store = make_store(merchant)
        other_store = make_store(merchant)
        exception = stores.set_exception(store, {"date": "2027-02-10", "note": "Tết"})
        stores.set_exception(other_store, {"date": "2027-02-11"})
        listing = make_listing(merchant)
        image = catalog.add_image(listing, png())
        staff = make_member(merchant, role="staff")
        invitation, _ = merchants.invite_staff(merchant, actor=owner, email=f"inv{merchant.id}"
                                               "@example.vn", role="staff", ttl_hours=72)
        token = api_token(owner)
        token_row = db.session.scalars(sa.select(PersonalAccessToken).where(
            PersonalAccessToken.token_hash == accounts.hash_token(token))).one()
        plugin_services.set_enabled(merchant, PAY_AT_STORE, True)
        # The booking plugin's pages exist only for merchants who enabled it.
        plugin_services.set_enabled(merchant, "booking_appointments", True)
        counter = make_store(merchant, pickup_enabled=True)
        stock(counter, listing.variants[0], 2)
        order = buy(owner.user, [(listing.variants[0], 1)],
                    [pickup_choice(merchant, counter, slot_at(counter))]).orders[0]
        payout = a_payout(merchant, order, admin_user)
        return Tenant(merchant, owner, token, {
            "merchant_slug": merchant.slug, "store_id": store.id,
            "exception_id": exception.id, "listing_id": listing.id,
            "variant_id": listing.variants[0].id, "image_id": image.id,
            "membership_id": staff.id, "invitation_id": invitation.id,
            "token_id": token_row.id, "other_store_id": other_store.id,
            "payout_id": payout.id})

    a, b = tenant(), tenant()
    db.session.commit()  # views roll back on errors: the set-up must survive that
    return a, b


def snapshot(db, tenant: Tenant) -> dict:
    """Everything a stray write could have changed of a tenant's objects."""
    db.session.expire_all()
    ids = tenant.ids
    rows = {
        "store": db.session.get(Store, ids["store_id"]),
        "exception": db.session.get(StoreException, ids["exception_id"]),
        "listing": db.session.get(Listing, ids["listing_id"]),
        "variant": db.session.get(Variant, ids["variant_id"]),
        "image": db.session.get(ListingImage, ids["image_id"]),
        "membership": db.session.get(Membership, ids["membership_id"]),
        "invitation": db.session.get(Invitation, ids["invitation_id"]),
        "token": db.session.get(PersonalAccessToken, ids["token_id"]),
        "payout": db.session.get(Payout, ids["payout_id"]),
    }
    state = {}
    for name, row in rows.items():
        assert row is not None, f"{name} of merchant {tenant.merchant.slug} was deleted"
        state[name] = {c.key: getattr(row, c.key) for c in sa.inspect(row).mapper.column_attrs
                       if c.key not in ("updated_at", "last_used_at")}
    return state


def call(client, rule, method: str, url: str, token: str):
    """Call a route with an empty, harmless body: it must 404 before reading any input."""
    if rule.rule.startswith(API):
        kwargs = {"headers": {"Authorization": f"Bearer {token}"}}
        if method in ("POST", "PUT", "PATCH"):
            kwargs["json"] = {}
    else:
        kwargs = {"data": {}} if method in ("POST", "PUT", "PATCH") else {}
    return client.open(url, method=method, **kwargs)


def walk(client, rules, values_for, token: str) -> tuple[list[str], list[str]]:
    """Call every (rule, method); return what was checked and what did not answer 404."""
    checked, failures = [], []
    for rule in rules:
        for values in values_for(rule):
            url = build(rule, values)
            for method in methods_of(rule):
                response = call(client, rule, method, url, token)
                checked.append(f"{method} {url}  ({rule.rule})")
                if response.status_code != 404:
                    failures.append(f"{method} {rule.rule} as {url} → {response.status_code} "
                                    f"{response.get_data(as_text=True)[:160]!r}")
    return checked, failures


def test_every_id_route_is_404_with_another_merchants_ids(app, client, db, tenants, login,
                                                          capsys):
    a, b = tenants
    rules = scoped_rules(app)
    assert rules, "no merchant-scoped route with an id parameter found: the walk is vacuous"
    before = snapshot(db, b)
    login(a.owner.user)

    def b_ids_everywhere(rule):
        yield b.ids | {"merchant_slug": a.merchant.slug}

    def one_foreign_id(rule):
        """A's own objects except one id of B's: each id is checked on its own."""
        taken = [name for name in rule.arguments if name in ID_PARAMS]
        if len(taken) > 1:
            for foreign in taken:
                yield a.ids | {foreign: b.ids[foreign]}

    def ids_that_cannot_exist(rule):
        """Ids no row has, up to numbers no INTEGER column holds: 404 too, never a 500."""
        for missing in (987654, 2**31, 10**20):
            yield a.ids | dict.fromkeys(ID_PARAMS, missing)

    checked, failures = walk(client, rules, b_ids_everywhere, a.owner_token)
    mixed, mixed_failures = walk(client, rules, one_foreign_id, a.owner_token)
    missing, missing_failures = walk(client, rules, ids_that_cannot_exist, a.owner_token)
    with capsys.disabled():
        print(f"\nscoping walk: {len(rules)} rules, "
              f"{len(checked) + len(mixed) + len(missing)} requests")
        for rule in rules:
            print(f"  {','.join(methods_of(rule)):<22} {rule.rule}")
    problems = failures + mixed_failures + missing_failures
    assert not problems, "\n".join(problems)
    # The control: with A's own ids the same pages answer, so the 404s above mean "not yours".
    # (A's listing is a product, which names no bookable service: the booking API answers
    # 404 for it; test_bookings_api.py reads A's own services there.)
    readable = [rule for rule in rules if "GET" in rule.methods
                and rule.rule != "/api/v1/booking/services/<int:listing_id>"]
    assert readable
    for rule in readable:
        response = call(client, rule, "GET", build(rule, a.ids), a.owner_token)
        assert response.status_code == 200, (rule.rule, response.status_code)
    assert len(checked) >= len(rules)
    assert snapshot(db, b) == before


@pytest.mark.parametrize("role", ["manager", "staff"])
def test_store_limited_members_get_404_for_other_stores(app, client, db, tenants, make_member,
                                                        login, api_token, role):
    """A member limited to store 1 of A calls every store route for A's store 2."""
    a, _b = tenants
    first = db.session.get(Store, a.ids["store_id"])
    limited = make_member(a.merchant, role=role, stores_=[first])
    token = api_token(limited)
    db.session.commit()
    login(limited.user)
    other_exception = db.session.scalars(sa.select(StoreException.id).where(
        StoreException.store_id == a.ids["other_store_id"])).one()
    rules = [r for r in scoped_rules(app) if "store_id" in r.arguments]
    assert rules

    def other_store(rule):
        yield a.ids | {"store_id": a.ids["other_store_id"], "exception_id": other_exception}

    before = snapshot(db, a)
    checked, failures = walk(client, rules, other_store, token)
    assert not failures, "\n".join(failures)
    assert len(checked) >= len(rules)
    assert snapshot(db, a) == before
    # The control: the store they are assigned to is theirs to see (where the role allows).
    own = {rule.rule: call(client, rule, "GET", build(rule, a.ids), token).status_code
           for rule in rules if "GET" in rule.methods}
    assert set(own.values()) <= {200, 403}, own
    assert 200 in own.values(), own
