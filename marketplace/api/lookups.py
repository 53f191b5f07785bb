"""URL ids → the caller's objects, checked before anything else of the request is read.

Each id in an API URL names an object of the token's merchant; another merchant's id, an id
that does not exist, or a store the member is not assigned to is a 404 *before* the body is
parsed or a permission is weighed, so a stranger learns nothing about someone else's data.
Child ids must also belong to their parent in the URL (a variant of that listing).
"""

from __future__ import annotations

from collections.abc import Callable

from ..accounts.models import PersonalAccessToken
from ..auth import ApiPrincipal
from ..catalog import services as catalog
from ..database import MAX_ID, get_scoped, scoped
from ..errors import NotFound
from ..extensions import db
from ..merchants import services as merchants
from ..plugins import services as plugin_services
from ..posters import services as posters
from ..settlement import payouts
from ..stores.models import StoreException
from ..stores.services import get_accessible_store
from ..vouchers import claims
from ..vouchers import services as campaigns


def _exception(caller: ApiPrincipal, value, found: dict):
    exception = get_scoped(StoreException, caller.merchant.id, value)
    if exception.store_id != found["store"].id:
        raise NotFound("exception")
    return exception


def _variant(caller: ApiPrincipal, value, found: dict):
    variant = catalog.get_variant(caller.merchant.id, value)
    if variant.listing_id != found["listing"].id:
        raise NotFound("variant")
    return variant


def _image(caller: ApiPrincipal, value, found: dict):
    image = catalog.get_image(caller.merchant.id, value)
    if image.listing_id != found["listing"].id:
        raise NotFound("image")
    return image


def _own_token(caller: ApiPrincipal, value, _found: dict):
    # Only the caller's own tokens: a colleague's token at the same merchant is 404 too.
    token = db.session.scalars(scoped(PersonalAccessToken, caller.merchant.id).where(
        PersonalAccessToken.id == value,
        PersonalAccessToken.user_id == caller.user.id)).first() if 0 < value <= MAX_ID else None
    if token is None:
        raise NotFound("token")
    return token


def _order(caller: ApiPrincipal, value, _found: dict):
    from ..orders.queries import merchant_order

    order = merchant_order(caller.merchant.id, value)
    get_accessible_store(caller.membership, order.store_id)  # 404 outside the member's stores
    return order


Loader = Callable[[ApiPrincipal, int, dict], object]

# URL parameter → (keyword the view receives, loader). Parents come before their children.
LOADERS: dict[str, tuple[str, Loader]] = {
    "store_id": ("store", lambda c, v, _f: get_accessible_store(c.membership, v)),
    "exception_id": ("exception", _exception),
    "listing_id": ("listing", lambda c, v, _f: catalog.get_listing(c.merchant.id, v)),
    "variant_id": ("variant", _variant),
    "image_id": ("image", _image),
    "membership_id": ("membership", lambda c, v, _f: merchants.get_membership(c.merchant.id, v)),
    "invitation_id": ("invitation", lambda c, v, _f: merchants.get_invitation(c.merchant.id, v)),
    "token_id": ("token", _own_token),
    "order_id": ("order", _order),
    "payout_id": ("payout", lambda c, v, _f: payouts.merchant_payout(c.merchant.id, v)),
    "poster_id": ("poster", lambda c, v, _f: posters.get_poster(c.merchant.id, v)),
    "campaign_id": ("campaign", lambda c, v, _f: campaigns.get_campaign(c.merchant.id, v)),
    "voucher_id": ("voucher", lambda _c, v, f: claims.get_voucher(f["campaign"], v)),
    # Not an id: a plugin's name, which must be installed and merchant-level (else 404).
    "plugin_name": ("plugin", lambda _c, v, _f: plugin_services.merchant_plugin(v)),
}


def load_url_objects(caller: ApiPrincipal, values: dict,
                     extra: dict[str, tuple[str, Loader]] | None = None) -> dict:
    """Replace every id of ``values`` (the URL's) by the object it names, or raise NotFound.
    ``extra``: a plugin's own URL parameters (loaded after the core's, so a plugin's object
    may check its parent)."""
    loaders = LOADERS | (extra or {})
    unknown = set(values) - set(loaders)
    if unknown:
        raise LookupError(f"no loader for URL parameter(s) {sorted(unknown)}")
    found: dict = {}
    for parameter, (name, loader) in loaders.items():
        if parameter in values:
            found[name] = loader(caller, values[parameter], found)
    return found

