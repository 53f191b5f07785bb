"""The staff scanner's pages as HTML (their behaviour is in tests/browser/test_scanner.py):
the page holds what its script needs and runs nothing inline, every file the service worker
keeps exists where the worker looks for it, and the dashboard links to the scanner only where
the QR plugin is installed."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import urljoin

import pytest

from tests.support.plugin_apps import english_client, log_in


@pytest.fixture
def shop(selling_shop):
    merchant, stores, _listing = selling_shop()
    return merchant, stores


@pytest.fixture
def staff(shop, make_member, login, client):
    merchant, (first, _second) = shop
    member = make_member(merchant, role="staff", stores_=(first,))
    login(member.user)
    return client


def _data(page: str, name: str) -> str:
    return unescape(re.search(rf'{name}="([^"]*)"', page).group(1))


def test_the_scanner_page_holds_what_its_script_needs_and_no_inline_script(staff, shop):
    merchant, (first, second) = shop
    scanner = f"/redeem/{merchant.slug}/scanner/"
    page = staff.get(scanner).get_data(as_text=True)
    assert re.search(r'<meta name="csrf-token" content="[^"]+">', page)
    # The staff member's own store only.
    assert f'<option value="{first.id}">' in page and f'value="{second.id}"' not in page
    # CSP is script-src 'self': scripts come from files; the one block is data.
    for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", page, re.DOTALL):
        assert "src=" in attrs and not body.strip() or 'type="application/json"' in attrs
    text = json.loads(unescape(re.search(
        r'<script type="application/json" id="scanner-text">(.*?)</script>', page,
        re.DOTALL).group(1)))
    assert "{time}" in text["kit_age"] and "{name}" in text["holder"]
    assert _data(page, "data-scope") == scanner
    for name in ("data-kit-url", "data-lookup-url", "data-redeem-url", "data-sync-url",
                 "data-worker-url"):
        assert _data(page, name).startswith(scanner)
    assert staff.get(_data(page, "data-kit-url")).status_code == 200
    for name in ("data-jsqr-url", "data-noble-url"):
        assert staff.get(_data(page, name)).status_code == 200, name


def test_every_file_the_service_worker_keeps_is_where_it_looks(staff, shop):
    merchant, _stores = shop
    scanner = f"/redeem/{merchant.slug}/scanner/"
    worker = staff.get(f"{scanner}sw.js")
    assert worker.status_code == 200 and worker.mimetype == "text/javascript"
    source = worker.get_data(as_text=True)
    assets = re.findall(r'^\s+"(\.\./[^"]+)",$', source, re.MULTILINE)
    assert len(assets) >= 8
    for asset in assets:  # relative to the worker's scope, as the worker resolves them
        path = urljoin(scanner, asset)
        assert staff.get(path).status_code == 200, path
    page = staff.get(scanner).get_data(as_text=True)
    for linked in re.findall(r'(?:href|src)="(/(?:redeem/)?static/[^"]+)"', page):
        assert linked in {urljoin(scanner, asset) for asset in assets}, linked


def _links(client, merchant, store):
    dashboard = client.get(f"/dashboard/{merchant.slug}/").get_data(as_text=True)
    queue = client.get(f"/dashboard/{merchant.slug}/pickup/{store.id}").get_data(as_text=True)
    return (f'href="/redeem/{merchant.slug}/scanner/"' in dashboard,
            f'href="/redeem/{merchant.slug}/scanner/?store={store.id}"' in queue)


def test_the_dashboard_links_to_the_scanner_only_where_the_plugin_is(shop, owner_of, client,
                                                                     login, make_app):
    merchant, (first, _second) = shop
    owner = owner_of(merchant).user
    login(owner)
    assert _links(client, merchant, first) == (True, True)
    without = make_app(PLUGINS_BLOCKED=["redemption_qr"])
    with without.app_context():
        other = log_in(english_client(without), owner)
        assert _links(other, merchant, first) == (False, False)
        assert other.get(f"/redeem/{merchant.slug}/scanner/").status_code == 404
