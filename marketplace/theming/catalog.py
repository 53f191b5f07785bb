"""Finding themes and reading their ``theme.toml``."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from packaging.version import InvalidVersion, Version

ENTRY_POINT_GROUP = "marketplace.themes"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{1,47}$")
DEFAULT_THEME = "default"


class ThemeError(RuntimeError):
    """A theme cannot be used as written; start-up stops and says which and why."""


@dataclass(frozen=True)
class Theme:
    name: str
    version: str
    path: Path
    extends: str | None = None
    description: str = ""
    preview: str | None = None  # a file in the theme's static/ folder
    author: str = ""
    trusted: bool = True  # bundled with the platform; package themes are sandboxed
    distribution: str | None = None

    @property
    def templates(self) -> Path:
        return self.path / "templates"

    @property
    def static(self) -> Path:
        return self.path / "static"


def read_theme(folder: Path, *, trusted: bool, distribution: str | None = None) -> Theme:
    manifest = folder / "theme.toml"
    if not manifest.is_file():
        raise ThemeError(f"{folder}: no theme.toml")
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ThemeError(f"{manifest}: {exc}") from None
    unknown = set(data) - {"name", "version", "extends", "description", "preview", "author"}
    if unknown:
        raise ThemeError(f"{manifest}: unknown keys {sorted(unknown)}")
    name = data.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ThemeError(f"{manifest}: name must match {NAME_PATTERN.pattern}")
    try:
        Version(str(data.get("version", "")))
    except InvalidVersion:
        raise ThemeError(f"{manifest}: version {data.get('version')!r} is not a version") \
            from None
    preview = data.get("preview") or None
    if preview is not None and not (folder / "static" / preview).resolve().is_relative_to(
            (folder / "static").resolve()):
        raise ThemeError(f"{manifest}: preview must be a file in static/")
    return Theme(name=name, version=str(data["version"]), path=folder,
                 extends=data.get("extends") or None,
                 description=str(data.get("description", "")), preview=preview,
                 author=str(data.get("author", "")), trusted=trusted,
                 distribution=distribution)


def _package_folder(loaded) -> Path:
    if isinstance(loaded, ModuleType):
        return Path(loaded.__file__).resolve().parent
    if isinstance(loaded, str | Path):
        return Path(loaded)
    raise ThemeError(f"a marketplace.themes entry point must name a module or a folder, "
                     f"not {loaded!r}")


def discover_themes(themes_dir: str | Path, *, packages: bool = True) -> dict[str, Theme]:
    """Bundled themes, then package themes; refuses duplicates, unknown parents and cycles."""
    found: dict[str, Theme] = {}

    def add(theme: Theme) -> None:
        if theme.name in found:
            raise ThemeError(f"two themes are named {theme.name!r}: {found[theme.name].path} "
                             f"and {theme.path}")
        found[theme.name] = theme

    folder = Path(themes_dir)
    for child in sorted(folder.iterdir()) if folder.is_dir() else []:
        if (child / "theme.toml").is_file():
            add(read_theme(child, trusted=True))
    if packages:
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            try:
                loaded = ep.load()
            except Exception as exc:
                raise ThemeError(f"theme {ep.name!r} failed to import: {exc}") from exc
            dist = getattr(ep, "dist", None)
            theme = read_theme(_package_folder(loaded), trusted=False,
                               distribution=dist.name if dist else None)
            if theme.name != ep.name:
                raise ThemeError(f"theme {theme.name!r} must be registered under its own "
                                 f"name, not {ep.name!r}")
            add(theme)
    if DEFAULT_THEME not in found:
        raise ThemeError(f"no {DEFAULT_THEME!r} theme in {folder}")
    for theme in found.values():
        chain(found, theme.name)  # raises on unknown parents and cycles
    return found


def chain(themes: dict[str, Theme], name: str) -> list[Theme]:
    """The theme, its ``extends`` ancestors, and ``default`` last (each once)."""
    result: list[Theme] = []
    seen: set[str] = set()
    current: str | None = name
    while current is not None:
        if current in seen:
            raise ThemeError(f"theme {name!r}: 'extends' goes round in a circle at "
                             f"{current!r}")
        if current not in themes:
            raise ThemeError(f"theme {name!r} extends unknown theme {current!r}")
        seen.add(current)
        result.append(themes[current])
        current = themes[current].extends
    if DEFAULT_THEME not in seen:
        result.append(themes[DEFAULT_THEME])
    return result
