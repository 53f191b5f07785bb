"""Dashboard stock: the table per store, adjustments, counts, transfers, the history and the
CSV import. Refused changes are checked to have changed nothing."""

from __future__ import annotations

import csv
import io
import re
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from babel.dates import format_datetime
from sqlalchemy import event

from marketplace.inventory import services as inventory
from marketplace.inventory.models import StockLevel, StockMovement


@pytest.fixture
def shop(db, make_user, make_merchant, owner_of, make_store, make_listing):
    """A merchant (owner reads English) with two stores and one product in two sizes; the
    first size has 5 on hand at the first store."""
    merchant = make_merchant(owner=make_user(locale="en", full_name="Trần Thị Bích"))
    owner = owner_of(merchant)
    first = make_store(merchant, name="An Store")
    second = make_store(merchant, name="Bình Store")
    listing = make_listing(merchant, title="Áo khoác gió")
    medium, large = listing.variants
    inventory.adjust_stock(store=first, variant=medium, delta=5, reason="receipt",
                           actor_id=owner.user_id)
    db.session.commit()
    return merchant, owner, first, second, medium, large


def url(merchant, path=""):
    return f"/dashboard/{merchant.slug}/stock{path}"


def level(db, store, variant) -> tuple[int, int]:
    db.session.expire_all()
    row = db.session.scalars(sa.select(StockLevel).where(
        StockLevel.store_id == store.id, StockLevel.variant_id == variant.id)).first()
    return (row.on_hand, row.reserved) if row else (0, 0)


def movement_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement))


def cells(html: str, variant) -> list[str]:
    """On hand, reserved, available in the variant's table row."""
    row = re.search(rf'<tr id="variant-{variant.id}".*?</tr>', html, re.S).group(0)
    return re.findall(r'data-stock="\w+">(-?\d+)<', row)


# --- the table ---------------------------------------------------------------------------------

def test_stock_goes_to_the_first_store(client, db, shop, login):
    merchant, owner, first, *_ = shop
    login(owner.user)
    response = client.get(url(merchant))
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith(url(merchant, f"/{first.id}"))


def test_table_shows_every_variant_with_levels_in_one_query(app, client, db, shop, login,
                                                            make_listing):
    merchant, owner, first, second, medium, large = shop
    make_listing(merchant, title="Quần short", variants=[
        {"sku": f"QS-{n}", "price": 90000, "options": {"size": str(n)}} for n in range(6)])
    inventory.adjust_stock(store=second, variant=large, delta=7, reason="receipt",
                           actor_id=None)
    db.session.commit()
    login(owner.user)
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url(merchant, f"/{first.id}"))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert cells(html, medium) == ["5", "0", "5"]
    assert cells(html, large) == ["0", "0", "0"]  # no row here (7 are at the other store)
    assert "QS-5" in html and "Áo khoác gió" in html
    assert sum("stock_levels" in s for s in statements) == 1


def test_search_narrows_the_table(client, db, shop, login, make_listing):
    merchant, owner, first, _second, medium, _large = shop
    make_listing(merchant, title="Quần short", variants=[
        {"sku": "QS-1", "price": 90000, "options": {"size": "S"}}])
    db.session.commit()
    login(owner.user)
    html = client.get(url(merchant, f"/{first.id}?q=QS-")).get_data(as_text=True)
    assert "Quần short" in html and f'id="variant-{medium.id}"' not in html


# --- changes -----------------------------------------------------------------------------------

def test_receipt_adds_stock(client, db, shop, login):
    merchant, owner, first, _second, medium, _large = shop
    login(owner.user)
    response = client.post(url(merchant, f"/{first.id}/adjust"), data={
        "variant_id": medium.id, "reason": "receipt", "delta": "12", "note": "Nhập hàng"})
    assert response.status_code == 303
    assert level(db, first, medium) == (17, 0)
    last = db.session.scalars(sa.select(StockMovement).order_by(StockMovement.id.desc())).first()
    assert (last.reason, last.on_hand_delta, last.actor_id, last.note) == (
        "receipt", 12, owner.user_id, "Nhập hàng")
    assert "17 on hand" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_removing_more_than_available_changes_nothing(client, db, shop, login):
    merchant, owner, first, _second, medium, _large = shop
    login(owner.user)
    before = movement_count(db)
    response = client.post(url(merchant, f"/{first.id}/adjust"), data={
        "variant_id": medium.id, "reason": "damage", "delta": "-8", "note": "Rách"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Only 5 available at this store." in html and "Nothing was changed." in html
    assert 'id="adjust-delta" name="delta" type="number" value="-8"' in html  # kept
    assert level(db, first, medium) == (5, 0)
    assert movement_count(db) == before


@pytest.mark.parametrize(("data", "field"), [
    ({"reason": "receipt", "delta": "-1"}, "delta"),
    ({"reason": "correction", "delta": "2"}, "note"),
    ({"reason": "sale", "delta": "1"}, "reason"),
    ({"reason": "receipt", "delta": "nhiều"}, "delta"),
])
def test_bad_adjustments_are_shown_on_the_form(client, db, shop, login, data, field):
    merchant, owner, first, _second, medium, _large = shop
    login(owner.user)
    before = movement_count(db)
    response = client.post(url(merchant, f"/{first.id}/adjust"),
                           data={"variant_id": medium.id} | data)
    assert response.status_code == 422
    assert f'href="#adjust-{field}"' in response.get_data(as_text=True)
    assert level(db, first, medium) == (5, 0) and movement_count(db) == before


def test_a_variant_is_required_and_must_be_the_merchants(client, db, shop, login,
                                                         make_merchant, make_listing):
    merchant, owner, first, _second, medium, _large = shop
    foreign = make_listing(make_merchant()).variants[0]
    db.session.commit()
    login(owner.user)
    before = movement_count(db)
    response = client.post(url(merchant, f"/{first.id}/count"), data={"counted": "3"})
    assert response.status_code == 422
    assert 'href="#count-variant_id"' in response.get_data(as_text=True)
    response = client.post(url(merchant, f"/{first.id}/count"),
                           data={"variant_id": foreign.id, "counted": "3"})
    assert response.status_code == 404
    assert movement_count(db) == before
    assert level(db, first, medium) == (5, 0)


def test_count_sets_on_hand(client, db, shop, login):
    merchant, owner, first, _second, medium, _large = shop
    login(owner.user)
    response = client.post(url(merchant, f"/{first.id}/count"),
                           data={"variant_id": medium.id, "counted": "2", "note": "Kiểm kê"})
    assert response.status_code == 303
    assert level(db, first, medium) == (2, 0)
    last = db.session.scalars(sa.select(StockMovement).order_by(StockMovement.id.desc())).first()
    assert (last.reason, last.on_hand_delta) == ("count", -3)


def test_transfer_moves_stock(client, db, shop, login):
    merchant, owner, first, second, medium, _large = shop
    login(owner.user)
    page = client.get(url(merchant, f"/{first.id}")).get_data(as_text=True)
    assert f'<option value="{second.id}"' in page  # the other store is a target
    response = client.post(url(merchant, f"/{first.id}/transfer"), data={
        "variant_id": medium.id, "target_store": second.id, "quantity": "3", "note": "Cân đối"})
    assert response.status_code == 303
    assert level(db, first, medium) == (2, 0)
    assert level(db, second, medium) == (3, 0)
    legs = db.session.scalars(sa.select(StockMovement).where(
        StockMovement.reference.is_not(None))).all()
    assert sorted(m.reason for m in legs) == ["transfer_in", "transfer_out"]
    assert len({m.reference for m in legs}) == 1


@pytest.mark.parametrize(("data", "status"), [
    ({"target_store": "", "quantity": "1"}, 422),
    ({"quantity": "9"}, 409),              # only 5 on hand
    ({"quantity": "0"}, 422),
    ({"target_store": "same", "quantity": "1"}, 422),
])
def test_bad_transfers_change_nothing(client, db, shop, login, data, status):
    merchant, owner, first, second, medium, _large = shop
    login(owner.user)
    before = movement_count(db)
    target = {"same": first.id}.get(data.get("target_store"), data.get("target_store", second.id))
    response = client.post(url(merchant, f"/{first.id}/transfer"),
                           data={"variant_id": medium.id, **data, "target_store": target})
    assert response.status_code == status
    assert level(db, first, medium) == (5, 0) and level(db, second, medium) == (0, 0)
    assert movement_count(db) == before


def test_store_limited_staff_only_reach_their_store(client, db, shop, make_member, login):
    merchant, _owner, first, second, medium, _large = shop
    member = make_member(merchant, role="staff", stores_=[second])
    db.session.commit()
    login(member.user)
    assert client.get(url(merchant)).headers["Location"].endswith(url(merchant, f"/{second.id}"))
    page = client.get(url(merchant, f"/{second.id}")).get_data(as_text=True)
    assert "An Store" not in page  # neither in the switcher nor as a transfer target
    before = movement_count(db)
    assert client.get(url(merchant, f"/{first.id}")).status_code == 404
    assert client.get(url(merchant, f"/{first.id}/movements")).status_code == 404
    for action in ("adjust", "count", "transfer"):
        assert client.post(url(merchant, f"/{first.id}/{action}"), data={
            "variant_id": medium.id, "reason": "damage", "delta": "-1", "counted": "0",
            "target_store": second.id, "quantity": "1"}).status_code == 404
    # nor can they pull stock out of the other store by naming it as the target
    response = client.post(url(merchant, f"/{second.id}/transfer"), data={
        "variant_id": medium.id, "target_store": first.id, "quantity": "1"})
    assert response.status_code == 404
    assert movement_count(db) == before and level(db, first, medium) == (5, 0)
    # their own store they may change
    assert client.post(url(merchant, f"/{second.id}/adjust"), data={
        "variant_id": medium.id, "reason": "receipt", "delta": "4"}).status_code == 303
    assert level(db, second, medium) == (4, 0)


# --- history -----------------------------------------------------------------------------------

def test_movement_history_in_the_store_time_zone(client, db, shop, login):
    merchant, owner, first, second, medium, large = shop
    inventory.transfer_stock(source=first, target=second, variant=medium, quantity=2,
                             actor_id=owner.user_id, note="Điều chuyển")
    inventory.adjust_stock(store=first, variant=large, delta=1, reason="receipt",
                           actor_id=None)
    db.session.commit()
    login(owner.user)
    response = client.get(url(merchant, f"/{first.id}/movements?variant_id={medium.id}"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    out = db.session.scalars(sa.select(StockMovement).where(
        StockMovement.reason == "transfer_out")).one()
    assert "Sent to another store" in html and "Goods received" in html
    assert "Trần Thị Bích" in html and "Điều chuyển" in html and out.reference in html
    assert "-2" in html and large.sku not in html  # only the chosen variant
    local = format_datetime(out.created_at.astimezone(ZoneInfo(first.timezone)), "short",
                            locale="en")
    assert local in html


def test_history_pages_back_with_before_id(client, db, shop, login):
    merchant, owner, first, _second, medium, _large = shop
    for _ in range(52):
        inventory.adjust_stock(store=first, variant=medium, delta=1, reason="receipt",
                               actor_id=owner.user_id)
    db.session.commit()
    login(owner.user)
    html = client.get(url(merchant, f"/{first.id}/movements")).get_data(as_text=True)
    assert html.count("<time ") == 50
    older = re.search(r'href="([^"]*before_id=\d+)"', html).group(1).replace("&amp;", "&")
    rest = client.get(older).get_data(as_text=True)
    assert rest.count("<time ") == 3  # 53 movements in all
    assert ">Older</a>" in html and ">Older</a>" not in rest


def test_history_of_another_merchants_variant_is_404(client, db, shop, login, make_merchant,
                                                     make_listing):
    merchant, owner, first, *_ = shop
    foreign = make_listing(make_merchant()).variants[0]
    db.session.commit()
    login(owner.user)
    assert client.get(url(merchant, f"/{first.id}/movements?variant_id={foreign.id}")
                      ).status_code == 404


# --- CSV import --------------------------------------------------------------------------------

def upload(client, merchant, text: str):
    return client.post(url(merchant, "/import"), content_type="multipart/form-data",
                       data={"file": (io.BytesIO(text.encode()), "stock.csv")})


def test_import_page_and_template(client, db, shop, login):
    merchant, owner, first, *_ = shop
    login(owner.user)
    page = client.get(url(merchant, "/import")).get_data(as_text=True)
    assert "<code>mode</code>" in page and url(merchant, "/import/template.csv") in page
    response = client.get(url(merchant, "/import/template.csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    medium = shop[4]
    assert rows[0] == ["store", "sku", "quantity", "mode", "note"]
    assert rows[1][:4] == [first.slug, medium.sku, "10", "set"]


def test_good_csv_applies(client, db, shop, login):
    merchant, owner, first, second, medium, large = shop
    login(owner.user)
    response = upload(client, merchant, "store,sku,quantity,mode,note\n"
                      f"{first.slug},{medium.sku},20,set,Kiểm kê\n"
                      f"{second.id},{large.sku},4,add,\n")
    assert response.status_code == 303
    assert "2 rows applied" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert level(db, first, medium) == (20, 0)
    assert level(db, second, large) == (4, 0)


def test_bad_csv_shows_every_bad_line_and_changes_nothing(client, db, shop, login):
    merchant, owner, first, second, medium, large = shop
    login(owner.user)
    before = movement_count(db)
    response = upload(client, merchant, "store,sku,quantity\n"
                      f"{first.slug},{medium.sku},20\n"
                      f"{first.slug},KHONG-CO,1\n"
                      f"cua-hang-la,{large.sku},-3\n")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "nothing was imported" in html
    assert re.search(r"<th scope=\"row\">3</th><td>unknown SKU “KHONG-CO”", html)
    assert re.search(r"<th scope=\"row\">4</th><td>unknown store “cua-hang-la”; quantity", html)
    assert level(db, first, medium) == (5, 0)
    assert level(db, second, large) == (0, 0)
    assert movement_count(db) == before


@pytest.mark.parametrize(("text", "message"), [
    ("sku,quantity\nA,1\n", "Missing columns: store."),
    ("store,sku,quantity\n", "The file has no rows."),
    (None, "Choose a CSV file to upload."),
])
def test_unusable_files_are_refused(client, db, shop, login, text, message):
    merchant, owner, *_ = shop
    login(owner.user)
    before = movement_count(db)
    if text is None:
        response = client.post(url(merchant, "/import"), data={})
    else:
        response = upload(client, merchant, text)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert movement_count(db) == before


def test_store_limited_staff_import_only_into_their_stores(client, db, shop, make_member,
                                                           login):
    merchant, _owner, first, second, medium, _large = shop
    member = make_member(merchant, role="staff", stores_=[second])
    db.session.commit()
    login(member.user)
    template = client.get(url(merchant, "/import/template.csv")).get_data(as_text=True)
    assert second.slug in template and first.slug not in template
    response = upload(client, merchant, f"store,sku,quantity\n{first.slug},{medium.sku},0\n")
    assert response.status_code == 422
    assert level(db, first, medium) == (5, 0)


def test_pages_render_in_the_default_language(client, db, shop, make_member, login):
    """The members' language decides dates and weekday names: every page also works in vi."""
    merchant, _owner, first, _second, _medium, _large = shop
    member = make_member(merchant, role="manager")
    db.session.commit()
    login(member.user)
    stores_url = f"/dashboard/{merchant.slug}/stores"
    for path in (stores_url, f"{stores_url}/new", f"{stores_url}/{first.id}",
                 url(merchant, f"/{first.id}"), url(merchant, f"/{first.id}/movements"),
                 url(merchant, "/import")):
        response = client.get(path, headers={"Accept-Language": ""})  # no preference
        assert response.status_code == 200, path
        assert '<html lang="vi">' in response.get_data(as_text=True)
    assert "Thứ Hai" in client.get(f"{stores_url}/{first.id}",
                                   headers={"Accept-Language": ""}).get_data(as_text=True)
