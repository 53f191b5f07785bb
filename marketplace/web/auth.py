"""Log in and out, sign up (consumer or merchant), accept a staff invitation, language."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..accounts import services as accounts
from ..errors import MarketplaceError
from ..extensions import db, limiter
from ..merchants import services as merchants
from . import shop
from .forms import form_dict, safe_next

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _email_key() -> str:
    # A second limit per target account slows down spreading guesses over many addresses.
    return "login:" + (request.form.get("email") or "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_email_key)
def login():
    if request.method == "POST":
        try:
            user = accounts.authenticate(email=request.form.get("email", ""),
                                         password=request.form.get("password", ""))
        except MarketplaceError as exc:
            db.session.rollback()
            return render_template("auth/login.html", message=exc.message,
                                   email=request.form.get("email", "")), exc.status
        db.session.commit()
        cart_token = session.get(shop.SESSION_KEY)
        session.clear()  # a fresh session on login: no fixation
        login_user(user, remember=bool(request.form.get("remember")))
        shop.merge_guest_cart(user, cart_token)
        default = url_for("dashboard.index") if user.memberships else "/"
        return redirect(safe_next(request.args.get("next"), default), code=303)
    return render_template("auth/login.html", message=None, email="")


@bp.post("/logout")
def logout():
    logout_user()
    session.clear()
    return redirect("/", code=303)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register():
    values = form_dict("email", "full_name", "phone")
    if request.method == "POST":
        try:
            user = accounts.register_user(password=request.form.get("password", ""),
                                          locale=session.get("locale"), **values)
        except MarketplaceError as exc:
            db.session.rollback()
            return render_template("auth/register.html", values=values, errors=exc.fields,
                                   message=exc.message), exc.status
        db.session.commit()
        cart_token = session.get(shop.SESSION_KEY)
        session.clear()
        login_user(user)
        shop.merge_guest_cart(user, cart_token)
        flash(_("Welcome! Your account is ready."), "success")
        return redirect(safe_next(request.args.get("next"), "/"), code=303)
    return render_template("auth/register.html", values=values, errors={}, message=None)


MERCHANT_FIELDS = ("name", "slug", "description", "contact_email", "phone")


@bp.route("/sell", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def merchant_signup():
    """Open a merchant account: new visitors create their owner login in the same form."""
    values = form_dict("email", "full_name", "user_phone", *MERCHANT_FIELDS)
    if request.method == "POST":
        try:
            if current_user.is_authenticated:
                owner = current_user
            else:
                owner = accounts.register_user(
                    email=values.get("email", ""), password=request.form.get("password", ""),
                    full_name=values.get("full_name", ""), phone=values.get("user_phone"),
                    locale=session.get("locale"))
            merchant = merchants.create_merchant(
                owner=owner, data={k: values.get(k) for k in MERCHANT_FIELDS},
                commission_bp=current_app.config["DEFAULT_COMMISSION_BP"])
        except MarketplaceError as exc:
            db.session.rollback()
            return render_template("auth/merchant_signup.html", values=values,
                                   errors=exc.fields, message=exc.message), exc.status
        db.session.commit()
        if not current_user.is_authenticated:
            session.clear()
            login_user(owner)
        flash(_("Your merchant account was created and is waiting for approval. "
                "You can set up stores and listings meanwhile."), "success")
        return redirect(url_for("dashboard.overview", merchant_slug=merchant.slug), code=303)
    return render_template("auth/merchant_signup.html", values=values, errors={}, message=None)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def accept_invitation(token: str):
    try:
        invitation = merchants.invitation_by_token(token)
    except MarketplaceError as exc:
        return render_template("errors/error.html", error=exc, status=exc.status), exc.status
    existing = accounts.find_user_by_email(invitation.email)
    values = form_dict("full_name")
    if request.method == "POST":
        try:
            if current_user.is_authenticated:
                user = current_user
            elif existing is not None:
                user = accounts.authenticate(email=invitation.email,
                                             password=request.form.get("password", ""))
            else:
                user = accounts.register_user(email=invitation.email,
                                              password=request.form.get("password", ""),
                                              full_name=values.get("full_name", ""),
                                              locale=session.get("locale"))
            membership = merchants.accept_invitation(token, user=user)
        except MarketplaceError as exc:
            db.session.rollback()
            return render_template("auth/invitation.html", invitation=invitation,
                                   existing=existing, values=values, errors=exc.fields,
                                   message=exc.message), exc.status
        merchant_slug = membership.merchant.slug
        db.session.commit()
        if not current_user.is_authenticated:
            session.clear()
            login_user(user)
        flash(_("You joined %(name)s.", name=membership.merchant.name), "success")
        return redirect(url_for("dashboard.overview", merchant_slug=merchant_slug), code=303)
    return render_template("auth/invitation.html", invitation=invitation, existing=existing,
                           values=values, errors={}, message=None)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    if request.method == "POST":
        try:
            accounts.change_password(current_user, current=request.form.get("current_password"),
                                     new=request.form.get("new_password"))
        except MarketplaceError as exc:
            db.session.rollback()
            return render_template("auth/account.html", errors=exc.fields,
                                   message=exc.message), exc.status
        db.session.commit()
        # The session id changed with the password; keep this session. (The real user, not
        # the proxy: Flask-Login stores what it gets, and a proxy to itself recurses.)
        login_user(current_user._get_current_object())
        flash(_("Your password was changed. Other sessions were logged out."), "success")
        return redirect(url_for("auth.account"), code=303)
    return render_template("auth/account.html", errors={}, message=None)


@bp.post("/language")
def set_language():
    locale = request.form.get("locale")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), "/"), code=303)
