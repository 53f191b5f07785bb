"""Stock per variant per store: levels, movements, adjustments, counts, transfers, imports."""

from __future__ import annotations

from flask.views import MethodView

from ..catalog import services as catalog
from ..database import scoped
from ..errors import ValidationError
from ..extensions import db
from ..inventory import services as inventory
from ..inventory.csv_import import import_stock_csv
from ..inventory.models import StockLevel, StockMovement
from ..merchants.roles import Permission
from ..merchants.services import require
from ..stores.services import get_accessible_store
from .blueprint import ApiBlueprint, principal
from .pagination import page_schema, paginate
from .schemas.stock import (
    AdjustmentSchema,
    CountSchema,
    CsvUploadSchema,
    ImportReportSchema,
    MovementQuerySchema,
    MovementSchema,
    StockLevelSchema,
    StockQuerySchema,
    TransferResultSchema,
    TransferSchema,
)

blp = ApiBlueprint("stock", __name__, url_prefix="/api/v1/stock",
                   description="Stock per variant per store. Every change is an append-only "
                               "movement; `available` is on hand minus reserved.")


def _store(store_id: int, permission: Permission):
    """A store named in the query or body that the caller may see (else 404) and act on with
    ``permission`` (else 403); ids in the URL are checked by ``authorize``."""
    caller = principal()
    store = get_accessible_store(caller.membership, store_id)
    require(caller.membership, permission, store_id=store.id)
    return store


def _filtered(model, args: dict):
    """The caller's rows of ``model``, narrowed to ``store_id``/``variant_id`` if given.

    Unknown or foreign ids are 404 rather than an empty list, like everywhere else."""
    caller = principal()
    stmt = scoped(model, caller.merchant.id)
    if "store_id" in args:
        stmt = stmt.where(model.store_id == _store(args["store_id"], Permission.VIEW).id)
    elif not caller.membership.all_stores:
        stmt = stmt.where(model.store_id.in_(caller.membership.store_ids or {-1}))
    if "variant_id" in args:
        variant = catalog.get_variant(caller.merchant.id, args["variant_id"])
        stmt = stmt.where(model.variant_id == variant.id)
    return stmt


@blp.route("")
class StockLevels(MethodView):
    @blp.authorize(Permission.VIEW)
    @blp.arguments(StockQuerySchema, location="query")
    @blp.response(200, page_schema(StockLevelSchema))
    @blp.problems(404)
    def get(self, args):
        """Stock levels, by store and variant (filter with store_id and/or variant_id)"""
        stmt = _filtered(StockLevel, args).order_by(StockLevel.store_id, StockLevel.variant_id)
        return paginate(stmt, args)


@blp.route("/movements")
class StockMovements(MethodView):
    @blp.authorize(Permission.VIEW)
    @blp.arguments(MovementQuerySchema, location="query")
    @blp.response(200, page_schema(MovementSchema))
    @blp.problems(404)
    def get(self, args):
        """Stock movements, newest first"""
        stmt = _filtered(StockMovement, args)
        if "before_id" in args:
            stmt = stmt.where(StockMovement.id < args["before_id"])
        return paginate(stmt.order_by(StockMovement.id.desc()), args)


@blp.route("/adjustments")
class StockAdjustments(MethodView):
    @blp.authorize(Permission.ADJUST_STOCK)
    @blp.arguments(AdjustmentSchema)
    @blp.response(201, MovementSchema)
    @blp.problems(404, 409, 422)
    def post(self, data):
        """Add or remove stock by hand: a receipt (+), damage (−) or a correction (±, with a
        note)

        Stock cannot become negative unless the variant allows it (409 `insufficient_stock`).
        """
        caller = principal()
        store = _store(data["store_id"], Permission.ADJUST_STOCK)
        variant = catalog.get_variant(caller.merchant.id, data["variant_id"])
        movement = inventory.adjust_stock(store=store, variant=variant, delta=data["delta"],
                                          reason=data["reason"], actor_id=caller.user.id,
                                          note=data.get("note"))
        db.session.commit()
        return movement


@blp.route("/counts")
class StockCounts(MethodView):
    @blp.authorize(Permission.ADJUST_STOCK)
    @blp.arguments(CountSchema)
    @blp.response(201, MovementSchema)
    @blp.problems(404, 409, 422)
    def post(self, data):
        """Record a stock count: on hand becomes the counted number"""
        caller = principal()
        store = _store(data["store_id"], Permission.ADJUST_STOCK)
        variant = catalog.get_variant(caller.merchant.id, data["variant_id"])
        movement = inventory.count_stock(store=store, variant=variant, counted=data["counted"],
                                         actor_id=caller.user.id, note=data.get("note"))
        db.session.commit()
        return movement


# The service names the receiving store ``target_store``; the API calls it ``to_store_id``.
_TRANSFER_FIELDS = {"target_store": "to_store_id"}


@blp.route("/transfers")
class StockTransfers(MethodView):
    @blp.authorize(Permission.ADJUST_STOCK)
    @blp.arguments(TransferSchema)
    @blp.response(201, TransferResultSchema)
    @blp.problems(404, 409, 422)
    def post(self, data):
        """Move stock from one store to another of the merchant (two linked movements)"""
        caller = principal()
        source = _store(data["from_store_id"], Permission.ADJUST_STOCK)
        target = _store(data["to_store_id"], Permission.ADJUST_STOCK)
        variant = catalog.get_variant(caller.merchant.id, data["variant_id"])
        try:
            out, into = inventory.transfer_stock(source=source, target=target, variant=variant,
                                                 quantity=data["quantity"],
                                                 actor_id=caller.user.id, note=data.get("note"))
        except ValidationError as exc:
            exc.fields = {_TRANSFER_FIELDS.get(k, k): v for k, v in exc.fields.items()}
            raise
        db.session.commit()
        return {"reference": out.reference, "movements": [out, into]}


@blp.route("/imports")
class StockImports(MethodView):
    @blp.authorize(Permission.ADJUST_STOCK)
    @blp.arguments(CsvUploadSchema, location="files")
    @blp.response(201, ImportReportSchema)
    @blp.problems(413, 422)
    def post(self, files):
        """Import stock from a CSV file (multipart field `file`)

        Columns: `store` (slug or id), `sku`, `quantity`, optionally `mode` (`set`, a count:
        the default; or `add`, a receipt) and `note`. Every row is applied or none is: a file
        with errors answers 422 `csv_invalid` with `row_errors` and changes nothing.
        """
        caller = principal()
        report = import_stock_csv(caller.merchant, files["file"].read(),
                                  actor_id=caller.user.id,
                                  store_ids=caller.membership.store_ids)
        db.session.commit()
        return report
