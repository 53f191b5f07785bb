"""Dashboard profile: the merchant's name, address, contact, currency and logo (owners only)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image


def png(colour=(0, 120, 200)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(out, format="PNG")
    out.seek(0)
    return out


@pytest.fixture
def shop(db, make_merchant, make_user):
    merchant = make_merchant(owner=make_user(locale="en"), name="Bánh Mì Cô Ba",
                             slug="banh-mi-co-ba")
    db.session.commit()
    return merchant


@pytest.fixture
def as_owner(client, login, shop, owner_of):
    login(owner_of(shop).user)
    return client


FORM = {"name": "Bánh Mì Cô Ba Hội An", "slug": "banh-mi-hoi-an",
        "description": "Bánh mì gia truyền từ 1975", "contact_email": "coba@example.vn",
        "phone": "0235 386 1234", "default_currency": "usd"}


def test_edit_profile(as_owner, db, shop):
    page = as_owner.get("/dashboard/banh-mi-co-ba/profile")
    assert page.status_code == 200 and 'value="Bánh Mì Cô Ba"' in page.get_data(as_text=True)
    response = as_owner.post("/dashboard/banh-mi-co-ba/profile", data=FORM)
    assert response.status_code == 303
    # the address changed, so the dashboard follows it
    assert response.headers["Location"].endswith("/dashboard/banh-mi-hoi-an/profile")
    db.session.refresh(shop)
    assert (shop.name, shop.slug, shop.contact_email, shop.phone, shop.default_currency) == (
        "Bánh Mì Cô Ba Hội An", "banh-mi-hoi-an", "coba@example.vn", "0235 386 1234", "USD")
    assert shop.description == "Bánh mì gia truyền từ 1975"
    assert as_owner.get("/dashboard/banh-mi-hoi-an/profile").status_code == 200
    assert as_owner.get("/dashboard/banh-mi-co-ba/profile").status_code == 404


@pytest.mark.parametrize("field, value, status", [
    ("name", "", 422), ("slug", "Không Hợp Lệ", 422), ("contact_email", "nope", 422),
    ("default_currency", "ABC", 422), ("slug", "taken-slug", 409),
])
def test_bad_profile_changes_nothing(as_owner, db, shop, make_merchant, field, value, status):
    make_merchant(slug="taken-slug")
    db.session.commit()
    response = as_owner.post("/dashboard/banh-mi-co-ba/profile", data=FORM | {field: value})
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f'id="f-{field}"' in html and 'aria-invalid="true"' in html
    assert 'value="Bánh Mì Cô Ba Hội An"' in html or field == "name"  # typed values stay
    db.session.refresh(shop)
    assert (shop.name, shop.slug, shop.default_currency) == ("Bánh Mì Cô Ba", "banh-mi-co-ba",
                                                             "VND")


def test_logo_upload_replaces_the_old_file(app, as_owner, db, shop):
    url = "/dashboard/banh-mi-co-ba/profile/logo"
    upload = as_owner.post(url, data={"logo": (png(), "logo.png")},
                           content_type="multipart/form-data")
    assert upload.status_code == 303
    db.session.refresh(shop)
    first = Path(app.config["UPLOAD_FOLDER"]) / shop.logo_path
    assert first.is_file()
    assert f"/media/{shop.logo_path}" in as_owner.get(
        "/dashboard/banh-mi-co-ba/profile").get_data(as_text=True)

    assert as_owner.post(url, data={"logo": (png((255, 0, 0)), "new.png")},
                         content_type="multipart/form-data").status_code == 303
    db.session.refresh(shop)
    second = Path(app.config["UPLOAD_FOLDER"]) / shop.logo_path
    assert second.is_file() and second != first and not first.exists()


def uploaded_files(app) -> set[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_non_image_logo_is_refused(app, as_owner, db, shop):
    files_before = uploaded_files(app)
    response = as_owner.post("/dashboard/banh-mi-co-ba/profile/logo",
                             data={"logo": (io.BytesIO(b"<svg></svg>"), "logo.svg")},
                             content_type="multipart/form-data")
    assert response.status_code == 422
    assert 'id="f-logo"' in response.get_data(as_text=True)
    db.session.refresh(shop)
    assert shop.logo_path is None
    assert uploaded_files(app) == files_before


@pytest.mark.parametrize("role", ["manager", "staff"])
def test_only_owners_edit_the_profile(client, db, shop, make_member, login, role):
    member = make_member(shop, role=role)
    db.session.commit()
    login(member.user)
    assert client.get("/dashboard/banh-mi-co-ba/profile").status_code == 403
    assert client.post("/dashboard/banh-mi-co-ba/profile", data=FORM).status_code == 403
    assert client.post("/dashboard/banh-mi-co-ba/profile/logo",
                       data={"logo": (png(), "logo.png")},
                       content_type="multipart/form-data").status_code == 403
    db.session.refresh(shop)
    assert shop.name == "Bánh Mì Cô Ba" and shop.logo_path is None
