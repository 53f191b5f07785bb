"""The caller's own personal access tokens: list and revoke.

Creating a token needs a logged-in dashboard session (the secret is shown once there), so a
leaked token cannot mint more tokens.
"""

from __future__ import annotations

from flask.views import MethodView

from ..accounts.models import PersonalAccessToken
from ..accounts.services import revoke_token
from ..database import scoped
from ..extensions import db
from ..merchants.roles import Permission
from .blueprint import ApiBlueprint, principal
from .pagination import PageArgsSchema, page_schema, paginate
from .schemas.tokens import TokenSchema

blp = ApiBlueprint("tokens", __name__, url_prefix="/api/v1/tokens",
                   description="Your own personal access tokens for this merchant. Create "
                               "tokens in the dashboard (API tokens); the API only lists and "
                               "revokes them.")


@blp.route("")
class TokenCollection(MethodView):
    @blp.authorize(Permission.MANAGE_TOKENS)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, page_schema(TokenSchema))
    def get(self, args):
        """Your tokens for this merchant, newest first (never their secret)"""
        caller = principal()
        return paginate(scoped(PersonalAccessToken, caller.merchant.id)
                        .where(PersonalAccessToken.user_id == caller.user.id)
                        .order_by(PersonalAccessToken.id.desc()), args)


@blp.route("/<int:token_id>")
class TokenItem(MethodView):
    @blp.authorize(Permission.MANAGE_TOKENS)
    @blp.response(204)
    @blp.problems(404)
    def delete(self, token):
        """Revoke one of your tokens (revoking the token of this request is allowed)

        Other people's tokens, even at this merchant, are 404.
        """
        revoke_token(token)
        db.session.commit()
        return None
