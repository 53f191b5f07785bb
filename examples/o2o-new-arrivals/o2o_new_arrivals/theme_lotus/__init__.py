"""The Lotus theme. The ``marketplace.themes`` entry point names this package: its folder,
with ``theme.toml``, ``templates/`` and ``static/``, is the theme."""
