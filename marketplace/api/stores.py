"""Stores: create and edit, weekly hours, dated exceptions."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView

from ..database import scoped
from ..extensions import db
from ..merchants.roles import Permission
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


@blp.route("")
class StoreCollection(MethodView):
    @blp.authorize(Permission.VIEW)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(StoreSchema))
    def get(self, args):
        """The stores the caller may see, by name"""
        return paginate(stores.accessible_stores(principal().membership), args)

    @blp.authorize(Permission.MANAGE_STORES)
    @blp.arguments(StoreCreateSchema)
    @blp.response(201, StoreSchema)
    @blp.problems(409, 422)
    def post(self, data):
        """Create a store"""
        store = stores.create_store(principal().merchant, data,
                                    default_timezone=current_app.config["DEFAULT_TIMEZONE"])
        db.session.commit()
        return store


@blp.route("/<int:store_id>")
class StoreItem(MethodView):
    @blp.authorize(Permission.VIEW)
    @blp.response(200, StoreSchema)
    @blp.problems(404)
    def get(self, store):
        """One store, with its weekly hours and whether it is open now"""
        return store

    @blp.authorize(Permission.MANAGE_STORES)
    @blp.arguments(StoreUpdateSchema)
    @blp.response(200, StoreSchema)
    @blp.problems(404, 409, 422)
    def patch(self, data, store):
        """Change a store; only the fields sent change"""
        store = stores.update_store(store, data)
        db.session.commit()
        return store


@blp.route("/<int:store_id>/hours")
class StoreHours(MethodView):
    @blp.authorize(Permission.MANAGE_STORES)
    @blp.arguments(WeeklyHoursSchema)
    @blp.response(200, StoreSchema)
    @blp.problems(404, 422)
    def put(self, data, store):
        """Replace the weekly opening hours

        Times are local to the store's time zone. An interval belongs to the weekday it
        starts on; `overnight` closes it on the next day (22:00–02:00), and 00:00–00:00
        overnight is open around the clock. Overlapping intervals are refused.
        """
        store = stores.set_opening_hours(store, data["hours"])
        db.session.commit()
        return store


@blp.route("/<int:store_id>/exceptions")
class StoreExceptions(MethodView):
    @blp.authorize(Permission.VIEW)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(StoreExceptionSchema))
    @blp.problems(404)
    def get(self, args, store):
        """The store's dated exceptions (holidays, special hours), by date"""
        return paginate(scoped(StoreException, store.merchant_id)
                        .where(StoreException.store_id == store.id)
                        .order_by(StoreException.date), args)

    @blp.authorize(Permission.MANAGE_STORES)
    @blp.arguments(StoreExceptionCreateSchema)
    @blp.response(201, StoreExceptionSchema)
    @blp.problems(404, 422)
    def post(self, data, store):
        """Set the exception of one date (replacing an earlier one for that date)"""
        exception = stores.set_exception(store, data)
        db.session.commit()
        return exception


@blp.route("/<int:store_id>/exceptions/<int:exception_id>")
class StoreExceptionItem(MethodView):
    @blp.authorize(Permission.MANAGE_STORES)
    @blp.response(204)
    @blp.problems(404)
    def delete(self, store, exception):
        """Remove a dated exception"""
        stores.delete_exception(store, exception.id)
        db.session.commit()
        return None
