"""Alembic environment: runs against the app's own engine (so SQLite gets its pragmas)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from marketplace.plugins.migrations import include_object

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

db = current_app.extensions["migrate"].db
engine = db.engine
config.set_main_option("sqlalchemy.url",
                       engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def _skip_empty(context_, revision, directives):
    # `marketplace db migrate` with no model change writes no empty revision.
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []


def _options() -> dict:
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", _skip_empty)
    options.setdefault("compare_type", True)
    options.setdefault("include_object", include_object)
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    options.setdefault("render_as_batch", engine.dialect.name == "sqlite")
    return options


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=db.metadata, literal_binds=True, **_options())
    with context.begin_transaction():
        context.run_migrations()
else:
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=db.metadata, **_options())
        with context.begin_transaction():
            context.run_migrations()
