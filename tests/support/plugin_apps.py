"""Apps that load the test plugins in tests/support/plugin_dirs as their built-ins."""

from __future__ import annotations

from pathlib import Path

PLUGIN_DIRS = Path(__file__).parent / "plugin_dirs"
GOOD = PLUGIN_DIRS / "good"


def plugin_config(folder: Path = GOOD, **overrides) -> dict:
    # Packages' entry points are left out, so only the folder's plugins (and the core) load.
    return {"PLUGINS_BUILTIN_DIR": str(folder), "PLUGINS_AUTOLOAD": False} | overrides


def log_in(client, user, password="correct horse battery staple"):  # noqa: S107
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    return client


def english_client(app):
    """A test client of ``app`` that asks for English pages (the default language is vi)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


# One test plugin: a payout method that records what it is asked (the payout tests).
PAYOUTS = PLUGIN_DIRS / "payouts"
