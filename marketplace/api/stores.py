"""Stores: create and edit, weekly hours, dated exceptions."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from ..database import get_scoped, scoped
from ..errors import NotFound
from ..extensions import db
from ..merchants.roles import Permission
from ..merchants.services import require
from ..stores import services as stores
from ..stores.models import StoreException
from .blueprint import ApiBlueprint, principal
from .pagination import PageArgsSchema, page_schema, paginate
from .schemas.stores import (
    StoreCreateSchema,
    StoreExceptionCreateSchema,
    StoreExceptionSchema,
    StoreSchema,
    StoreUpdateSchema,
    WeeklyHoursSchema,
)

blp = ApiBlueprint("stores", __name__, url_prefix="/api/v1/stores",
                   description="The merchant's physical stores, their hours and exceptions. "
                               "Members limited to some stores see only those.")


def _store_for(store_id: int, permission: Permission):
    """A store the caller may see (else 404), checked for ``permission`` there (else 403)."""
    caller = principal()
    store = stores.get_accessible_store(caller.membership, store_id)
    require(caller.membership, permission, store_id=store.id)
    return store


@blp.route("")
class StoreCollection(MethodView):
    @blp.token_required
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(StoreSchema))
    @blp.problems(403)
    def get(self, args):
        """The stores the caller may see, by name"""
        caller = principal()
        require(caller.membership, Permission.VIEW)
        return paginate(stores.accessible_stores(caller.membership), args)

    @blp.token_required
    @blp.arguments(StoreCreateSchema)
    @blp.response(201, StoreSchema)
    @blp.problems(403, 409, 422)
    def post(self, data):
        """Create a store"""
        caller = principal()
        require(caller.membership, Permission.MANAGE_STORES)
        store = stores.create_store(caller.merchant, data,
                                    default_timezone=current_app.config["DEFAULT_TIMEZONE"])
        db.session.commit()
        return store


@blp.route("/<int:store_id>")
class StoreItem(MethodView):
    @blp.token_required
    @blp.response(200, StoreSchema)
    @blp.problems(403, 404)
    def get(self, store_id: int):
        """One store, with its weekly hours and whether it is open now"""
        return _store_for(store_id, Permission.VIEW)

    @blp.token_required
    @blp.arguments(StoreUpdateSchema)
    @blp.response(200, StoreSchema)
    @blp.problems(403, 404, 409, 422)
    def patch(self, data, store_id: int):
        """Change a store; only the fields sent change"""
        store = stores.update_store(_store_for(store_id, Permission.MANAGE_STORES), data)
        db.session.commit()
        return store


@blp.route("/<int:store_id>/hours")
class StoreHours(MethodView):
    @blp.token_required
    @blp.arguments(WeeklyHoursSchema)
    @blp.response(200, StoreSchema)
    @blp.problems(403, 404, 422)
    def put(self, data, store_id: int):
        """Replace the weekly opening hours

        Times are local to the store's time zone. An interval belongs to the weekday it
        starts on; `overnight` closes it on the next day (22:00–02:00), and 00:00–00:00
        overnight is open around the clock. Overlapping intervals are refused.
        """
        store = stores.set_opening_hours(_store_for(store_id, Permission.MANAGE_STORES),
                                         data["hours"])
        db.session.commit()
        return store


@blp.route("/<int:store_id>/exceptions")
class StoreExceptions(MethodView):
    @blp.token_required
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(StoreExceptionSchema))
    @blp.problems(403, 404)
    def get(self, args, store_id: int):
        """The store's dated exceptions (holidays, special hours), by date"""
        store = _store_for(store_id, Permission.VIEW)
        return paginate(scoped(StoreException, store.merchant_id)
                        .where(StoreException.store_id == store.id)
                        .order_by(StoreException.date), args)

    @blp.token_required
    @blp.arguments(StoreExceptionCreateSchema)
    @blp.response(201, StoreExceptionSchema)
    @blp.problems(403, 404, 422)
    def post(self, data, store_id: int):
        """Set the exception of one date (replacing an earlier one for that date)"""
        exception = stores.set_exception(_store_for(store_id, Permission.MANAGE_STORES), data)
        db.session.commit()
        return exception


@blp.route("/<int:store_id>/exceptions/<int:exception_id>")
class StoreExceptionItem(MethodView):
    @blp.token_required
    @blp.response(204)
    @blp.problems(403, 404)
    def delete(self, store_id: int, exception_id: int):
        """Remove a dated exception"""
        store = _store_for(store_id, Permission.MANAGE_STORES)
        exception = get_scoped(StoreException, store.merchant_id, exception_id)
        if exception.store_id != store.id:
            raise NotFound("exception")
        stores.delete_exception(store, exception.id)
        db.session.commit()
        return None

