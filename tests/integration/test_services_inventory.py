"""Inventory: adjustments, counts, transfers, the append-only history, and CSV import."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.errors import InsufficientStock, ValidationError
from marketplace.inventory import services as inventory
from marketplace.inventory.csv_import import CsvImportError, import_stock_csv
from marketplace.inventory.models import MovementReason, StockLevel, StockMovement


@pytest.fixture
def shop(db, make_merchant, make_store, make_listing, owner_of):
    """A merchant with two stores and one product of two variants (SKU-…-M, SKU-…-L)."""

    class Shop:
        merchant = make_merchant()
        a = make_store(merchant, slug="quan-1")
        b = make_store(merchant, slug="quan-3")
        listing = make_listing(merchant)
        m, l_ = listing.variants
        owner = owner_of(merchant)

    return Shop


def level(db, store, variant) -> StockLevel | None:
    return db.session.scalars(sa.select(StockLevel).where(
        StockLevel.store_id == store.id, StockLevel.variant_id == variant.id)
        .execution_options(populate_existing=True)).first()


def on_hand(db, store, variant) -> int:
    found = level(db, store, variant)
    return found.on_hand if found else 0


def history(db, store, variant) -> list[StockMovement]:
    return list(db.session.scalars(sa.select(StockMovement).where(
        StockMovement.store_id == store.id, StockMovement.variant_id == variant.id)
        .order_by(StockMovement.id)))


def snapshot(db, merchant) -> tuple:
    """Every stock number and movement of a merchant, to compare before and after."""
    levels = db.session.execute(sa.select(StockLevel.store_id, StockLevel.variant_id,
                                          StockLevel.on_hand, StockLevel.reserved)
                                .where(StockLevel.merchant_id == merchant.id)
                                .order_by(StockLevel.id)).all()
    moves = db.session.scalars(sa.select(StockMovement.id)
                               .where(StockMovement.merchant_id == merchant.id)).all()
    return levels, sorted(moves)


def adjust(shop, delta, reason="receipt", store=None, variant=None, note=None):
    return inventory.adjust_stock(store=store or shop.a, variant=variant or shop.m, delta=delta,
                                  reason=reason, actor_id=shop.owner.user_id, note=note)


# --- manual adjustments ------------------------------------------------------------------------

def test_receipt_damage_and_correction(db, shop):
    first = adjust(shop, 10)
    assert (first.reason, first.on_hand_delta, first.on_hand_after, first.actor_id) == \
        ("receipt", 10, 10, shop.owner.user_id)
    adjust(shop, -2, "damage", note="Rách")
    adjust(shop, -1, "correction", note="Đếm nhầm")
    adjust(shop, "+3", "correction", note="Tìm thấy")
    assert on_hand(db, shop.a, shop.m) == 10
    assert [m.on_hand_after for m in history(db, shop.a, shop.m)] == [10, 8, 7, 10]
    assert on_hand(db, shop.b, shop.m) == 0  # other stores are untouched


@pytest.mark.parametrize(("delta", "reason", "note", "field"), [
    (-1, "receipt", None, "delta"),
    (1, "damage", None, "delta"),
    (0, "receipt", None, "delta"),
    ("abc", "receipt", None, "delta"),
    (None, "receipt", None, "delta"),
    (1, "correction", None, "note"),
    (1, "correction", "   ", "note"),
    (1, "count", None, "reason"),
    (1, "transfer_in", None, "reason"),
    (1, "gift", None, "reason"),
    (inventory.MAX_QUANTITY + 1, "receipt", None, "delta"),
    (1, "receipt", "x" * 501, "note"),
])
def test_adjustment_sign_and_note_rules(db, shop, delta, reason, note, field):
    adjust(shop, 5)
    before = snapshot(db, shop.merchant)
    with pytest.raises(ValidationError) as info:
        adjust(shop, delta, reason, note=note)
    assert field in info.value.fields
    assert snapshot(db, shop.merchant) == before


def test_cannot_go_below_zero_available(db, shop):
    adjust(shop, 2)
    before = snapshot(db, shop.merchant)
    with pytest.raises(InsufficientStock) as info:
        adjust(shop, -3, "damage")
    assert info.value.extra["available"] == 2 and info.value.status == 409
    with pytest.raises(InsufficientStock):
        adjust(shop, -1, "damage", store=shop.b)  # nothing there at all
    assert on_hand(db, shop.a, shop.m) == 2
    assert snapshot(db, shop.merchant)[1] == before[1]
    adjust(shop, -2, "damage")
    assert on_hand(db, shop.a, shop.m) == 0


def test_negative_stock_when_the_variant_allows_it(db, shop):
    shop.m.allow_negative_stock = True
    adjust(shop, -4, "damage")
    assert on_hand(db, shop.a, shop.m) == -4
    with pytest.raises(InsufficientStock):  # the other variant does not allow it
        adjust(shop, -1, "damage", variant=shop.l_)


def test_reserved_lowers_available_and_never_goes_below_zero(db, shop):
    adjust(shop, 5)
    locked = inventory.lock_level(shop.a, shop.m)
    inventory.apply_movement(locked, reason=MovementReason.RESERVE, reserved_delta=3)
    assert (locked.on_hand, locked.reserved, locked.available) == (5, 3, 2)
    with pytest.raises(InsufficientStock):
        adjust(shop, -3, "damage")
    with pytest.raises(InsufficientStock):  # a hold cannot exceed what is available
        inventory.apply_movement(inventory.lock_level(shop.a, shop.m),
                                 reason=MovementReason.RESERVE, reserved_delta=3)
    with pytest.raises(ValidationError):
        inventory.apply_movement(inventory.lock_level(shop.a, shop.m),
                                 reason=MovementReason.RELEASE, reserved_delta=-4)
    sale = inventory.apply_movement(inventory.lock_level(shop.a, shop.m),
                                    reason=MovementReason.SALE, on_hand_delta=-3,
                                    reserved_delta=-3)
    assert (sale.on_hand_after, sale.reserved_after) == (2, 0)
    assert (level(db, shop.a, shop.m).on_hand, level(db, shop.a, shop.m).reserved) == (2, 0)


def test_the_database_refuses_negative_reserved(db, shop):
    adjust(shop, 1)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(sa.update(StockLevel).where(StockLevel.store_id == shop.a.id)
                           .values(reserved=-1))


def test_variant_of_another_merchant_is_refused(db, shop, make_merchant, make_listing):
    foreign = make_listing(make_merchant()).variants[0]
    with pytest.raises(ValidationError) as info:
        adjust(shop, 1, variant=foreign)
    assert "variant" in info.value.fields


# --- counts and transfers ----------------------------------------------------------------------

def test_count_sets_the_number_and_the_movement_keeps_the_difference(db, shop):
    adjust(shop, 10)
    counted = inventory.count_stock(store=shop.a, variant=shop.m, counted="7", actor_id=None,
                                    note="Kiểm kê tháng 11")
    assert (counted.reason, counted.on_hand_delta, counted.on_hand_after, counted.note) == \
        ("count", -3, 7, "Kiểm kê tháng 11")
    up = inventory.count_stock(store=shop.a, variant=shop.m, counted=12, actor_id=None)
    assert (up.on_hand_delta, up.on_hand_after) == (5, 12)
    first = inventory.count_stock(store=shop.b, variant=shop.m, counted=4, actor_id=None)
    assert (first.on_hand_delta, first.on_hand_after) == (4, 4)
    for bad in (-1, "x", None, inventory.MAX_QUANTITY + 1):
        with pytest.raises(ValidationError):
            inventory.count_stock(store=shop.a, variant=shop.m, counted=bad, actor_id=None)
    assert on_hand(db, shop.a, shop.m) == 12


def test_count_below_reserved_is_refused(db, shop):
    adjust(shop, 5)
    inventory.apply_movement(inventory.lock_level(shop.a, shop.m),
                             reason=MovementReason.RESERVE, reserved_delta=4)
    with pytest.raises(InsufficientStock):
        inventory.count_stock(store=shop.a, variant=shop.m, counted=3, actor_id=None)
    assert on_hand(db, shop.a, shop.m) == 5


def test_transfer_moves_stock_with_two_movements_and_one_reference(db, shop):
    adjust(shop, 10)
    out, into = inventory.transfer_stock(source=shop.a, target=shop.b, variant=shop.m,
                                         quantity=4, actor_id=shop.owner.user_id, note="Bổ sung")
    assert (out.reason, out.store_id, out.on_hand_delta, out.on_hand_after) == \
        ("transfer_out", shop.a.id, -4, 6)
    assert (into.reason, into.store_id, into.on_hand_delta, into.on_hand_after) == \
        ("transfer_in", shop.b.id, 4, 4)
    assert out.reference == into.reference and out.reference.startswith("transfer-")
    assert (on_hand(db, shop.a, shop.m), on_hand(db, shop.b, shop.m)) == (6, 4)
    # the opposite direction (locks are taken in the same order, so no deadlock)
    inventory.transfer_stock(source=shop.b, target=shop.a, variant=shop.m, quantity=1,
                             actor_id=None)
    assert (on_hand(db, shop.a, shop.m), on_hand(db, shop.b, shop.m)) == (7, 3)


def test_transfer_refusals_change_nothing(db, shop, make_merchant, make_store):
    adjust(shop, 3)
    foreign_store = make_store(make_merchant())
    before = snapshot(db, shop.merchant)
    with pytest.raises(InsufficientStock):
        inventory.transfer_stock(source=shop.a, target=shop.b, variant=shop.m, quantity=4,
                                 actor_id=None)
    for kwargs, field in [({"target": shop.a}, "target_store"),
                          ({"target": foreign_store}, "target_store"),
                          ({"quantity": 0}, "quantity"), ({"quantity": "two"}, "quantity")]:
        with pytest.raises(ValidationError) as info:
            inventory.transfer_stock(**({"source": shop.a, "target": shop.b, "variant": shop.m,
                                         "quantity": 1, "actor_id": None} | kwargs))
        assert field in info.value.fields
    assert snapshot(db, shop.merchant)[1] == before[1]
    assert (on_hand(db, shop.a, shop.m), on_hand(db, shop.b, shop.m)) == (3, 0)


# --- the history -------------------------------------------------------------------------------

def test_movements_are_append_only(db, shop):
    movement = adjust(shop, 1)
    db.session.commit()
    movement.note = "rewritten"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(movement)
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert [(m.id, m.note) for m in history(db, shop.a, shop.m)] == [(movement.id, None)]


def test_history_explains_the_number(db, shop):
    adjust(shop, 8)
    adjust(shop, -1, "damage")
    inventory.count_stock(store=shop.a, variant=shop.m, counted=5, actor_id=None)
    inventory.transfer_stock(source=shop.a, target=shop.b, variant=shop.m, quantity=2,
                             actor_id=None)
    for store in (shop.a, shop.b):
        moves = history(db, store, shop.m)
        assert sum(m.on_hand_delta for m in moves) == on_hand(db, store, shop.m)
        running = 0
        for move in moves:
            running += move.on_hand_delta
            assert move.on_hand_after == running


def test_listing_levels_and_movements(db, shop, make_member):
    adjust(shop, 2)
    adjust(shop, 3, store=shop.b)
    adjust(shop, 4, variant=shop.l_)
    assert [(lv.store_id, lv.on_hand) for lv in inventory.levels_for_variant(shop.m)] == \
        sorted([(shop.a.id, 2), (shop.b.id, 3)])
    assert [lv.on_hand for lv in inventory.levels_for_variant(shop.m, store_ids={shop.b.id})] \
        == [3]
    assert {lv.variant_id for lv in inventory.levels_for_store(shop.a)} == \
        {shop.m.id, shop.l_.id}
    newest_first = inventory.movements(shop.merchant.id)
    assert [m.on_hand_delta for m in newest_first] == [4, 3, 2]
    assert [m.on_hand_delta for m in inventory.movements(shop.merchant.id,
                                                         store_ids={shop.b.id})] == [3]
    assert [m.on_hand_delta for m in inventory.movements(
        shop.merchant.id, before_id=newest_first[0].id, limit=1)] == [3]
    assert [m.on_hand_delta for m in inventory.movements(shop.merchant.id,
                                                         variant_id=shop.l_.id)] == [4]


OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("receipt"), st.integers(1, 50)),
    st.tuples(st.just("damage"), st.integers(-50, -1)),
    st.tuples(st.just("correction"), st.integers(-50, 50).filter(bool)),
    st.tuples(st.just("count"), st.integers(0, 60)),
    st.tuples(st.just("reserve"), st.integers(1, 20)),
    st.tuples(st.just("release"), st.integers(1, 20)),
    st.tuples(st.just("sale"), st.integers(1, 20)),
), max_size=25)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=OPERATIONS, allow_negative=st.booleans())
def test_any_sequence_keeps_the_books_straight(db, make_merchant, make_store, make_listing,
                                               operations, allow_negative):
    """Whatever happens, on hand is the sum of the movements, reserved never drops below zero,
    available never below zero unless allowed, and a refused operation changes nothing."""
    merchant = make_merchant()
    store = make_store(merchant)
    variant = make_listing(merchant, publish=False).variants[0]
    variant.allow_negative_stock = allow_negative
    for kind, amount in operations:
        current = inventory.lock_level(store, variant)
        before = (current.on_hand, current.reserved, len(history(db, store, variant)))
        try:
            if kind in ("receipt", "damage", "correction"):
                inventory.adjust_stock(store=store, variant=variant, delta=amount, reason=kind,
                                       actor_id=None, note="kiểm tra")
            elif kind == "count":
                inventory.count_stock(store=store, variant=variant, counted=amount,
                                      actor_id=None)
            else:
                deltas = {"reserve": (0, amount), "release": (0, -amount),
                          "sale": (-amount, -amount)}[kind]
                inventory.apply_movement(current, reason=MovementReason(kind),
                                         on_hand_delta=deltas[0], reserved_delta=deltas[1])
        except (InsufficientStock, ValidationError):
            after = level(db, store, variant)
            assert (after.on_hand, after.reserved, len(history(db, store, variant))) == before
            continue
        now = level(db, store, variant)
        moves = history(db, store, variant)
        assert now.on_hand == sum(m.on_hand_delta for m in moves)
        assert now.reserved == sum(m.reserved_delta for m in moves) >= 0
        assert (moves[-1].on_hand_after, moves[-1].reserved_after) == (now.on_hand,
                                                                      now.reserved)
        if not allow_negative:
            assert now.available >= 0


# --- CSV import --------------------------------------------------------------------------------

def csv_bytes(*lines: str, sep: str = ",", bom: bool = False) -> bytes:
    text = "\n".join(line.replace(",", sep) for line in lines) + "\n"
    return ("\ufeff" if bom else "").encode() + text.encode()


def run_import(shop, raw: bytes, store_ids=None):
    with force_locale("en"):  # the row messages are rendered in the importer's language
        return import_stock_csv(shop.merchant, raw, actor_id=shop.owner.user_id,
                                store_ids=store_ids)


def test_csv_good_file_applies_every_row(db, shop):
    adjust(shop, 9, variant=shop.l_)
    report = run_import(shop, csv_bytes(
        "store,sku,quantity,mode,note",
        f"quan-1,{shop.m.sku},12,set,Kiểm kê",
        f"{shop.b.id},{shop.m.sku},5,,",
        f"quan-1,{shop.l_.sku},3,add,Nhập thêm",
        ",,,,",  # blank lines are skipped
    ))
    assert report.applied == 3
    assert [r["line"] for r in report.rows] == [2, 3, 4]
    assert on_hand(db, shop.a, shop.m) == 12
    assert on_hand(db, shop.b, shop.m) == 5
    assert on_hand(db, shop.a, shop.l_) == 12
    reasons = [m.reason for m in history(db, shop.a, shop.l_)]
    assert reasons == ["receipt", "receipt"]
    assert history(db, shop.a, shop.m)[-1].reason == "import"
    assert history(db, shop.a, shop.m)[-1].note == "Kiểm kê"


@pytest.mark.parametrize(("bad_row", "why"), [
    ("quan-1,NO-SUCH-SKU,5", "SKU"),
    ("quan-99,{sku},5", "store"),
    ("quan-1,{sku},five", "quantity"),
    ("quan-1,{sku},-1", "quantity"),
    ("quan-1,{sku},2.5", "quantity"),
    ("quan-1,{sku},0,add", "quantity"),
    ("quan-1,{sku},1,replace", "mode"),
    ("quan-1,{sku},4", "twice"),          # the same store and SKU set twice
    ("quan-3,{sku},4", "store"),          # a store this member may not touch
])
def test_csv_one_bad_row_changes_nothing(db, shop, bad_row, why):
    adjust(shop, 2)
    db.session.commit()  # the state before the import, committed (a savepoint in tests)
    before = snapshot(db, shop.merchant)
    raw = csv_bytes("store,sku,quantity,mode",
                    f"quan-1,{shop.m.sku},7,set",
                    f"quan-1,{shop.l_.sku},3,add",
                    bad_row.format(sku=shop.m.sku) + ("" if bad_row.count(",") == 3 else ","))
    with pytest.raises(CsvImportError) as info:
        run_import(shop, raw, store_ids={shop.a.id})
    assert [e["line"] for e in info.value.row_errors] == [4]
    assert why.lower() in " ".join(info.value.row_errors[0]["errors"]).lower()
    assert info.value.to_problem()["row_errors"] == info.value.row_errors
    db.session.rollback()  # what the view does on the error
    assert snapshot(db, shop.merchant) == before
    assert on_hand(db, shop.a, shop.m) == 2 and level(db, shop.a, shop.l_) is None


def test_csv_lists_every_bad_line(db, shop):
    raw = csv_bytes("store,sku,quantity",
                    f"quan-1,{shop.m.sku},1",
                    "quan-1,NOPE,1",
                    f"quan-1,{shop.m.sku},x",
                    f"nowhere,{shop.l_.sku},1")
    with pytest.raises(CsvImportError) as info:
        run_import(shop, raw)
    assert [e["line"] for e in info.value.row_errors] == [3, 4, 5]


def test_csv_insufficient_stock_row_is_reported(db, shop):
    adjust(shop, 5)  # all five held: counting SKU M down to one is impossible
    inventory.apply_movement(inventory.lock_level(shop.a, shop.m),
                             reason=MovementReason.RESERVE, reserved_delta=5)
    db.session.commit()
    before = snapshot(db, shop.merchant)
    raw = csv_bytes("store,sku,quantity", f"quan-1,{shop.l_.sku},9", f"quan-1,{shop.m.sku},1")
    with pytest.raises(CsvImportError) as info:
        run_import(shop, raw)
    assert [e["line"] for e in info.value.row_errors] == [3]
    db.session.rollback()
    assert snapshot(db, shop.merchant) == before


@pytest.mark.parametrize("sep", [";", "\t"])
def test_csv_semicolon_or_tab_separated_with_bom(db, shop, sep):
    raw = csv_bytes("Store,SKU,Quantity", f"quan-1,{shop.m.sku},6", f"quan-3,{shop.m.sku},2",
                    sep=sep, bom=True)
    assert run_import(shop, raw).applied == 2
    assert (on_hand(db, shop.a, shop.m), on_hand(db, shop.b, shop.m)) == (6, 2)


def test_csv_windows_line_endings_and_vietnamese_notes(db, shop):
    raw = ("store,sku,quantity,note\r\n"
           f"quan-1,{shop.m.sku},3,Hàng về đợt 2\r\n").encode()
    run_import(shop, raw)
    assert history(db, shop.a, shop.m)[-1].note == "Hàng về đợt 2"


@pytest.mark.parametrize(("raw", "message"), [
    (b"store,quantity\nquan-1,5\n", "sku"),
    (b"sku;qty\nA;1\n", "store"),
    (b"store,sku,quantity\n", "no rows"),
    (b"", "store"),
    (b"store,sku,quantity\nqu\xe1n-1,A,1\n", "UTF-8"),  # saved as Latin-1
])
def test_csv_file_level_errors(db, shop, raw, message):
    with pytest.raises(ValidationError) as info:
        run_import(shop, raw)
    assert "file" in info.value.fields
    with force_locale("en"):  # the message is translated when it is shown
        assert message.lower() in str(info.value.fields["file"][0]).lower()
