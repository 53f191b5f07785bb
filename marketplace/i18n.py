"""Language and time zone of a request: the user's choice, else Accept-Language."""

from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import get_locale


def select_locale() -> str:
    if not has_request_context():
        # A service raising an error from the CLI or a worker still needs a language.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    user = getattr(g, "_login_user", None)
    if user is None:
        from flask_login import current_user

        user = current_user
    if getattr(user, "is_authenticated", False) and user.locale in languages:
        return user.locale
    return request.accept_languages.best_match(languages) or \
        current_app.config["BABEL_DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    from .extensions import babel
    from .money import format_money

    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _i18n_context():
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}

    app.jinja_env.filters["money"] = format_money
