"""Fresh PostgreSQL databases for a test run (part of the test kit, re-exported here)."""

from marketplace.plugins.testing_support import (
    database_for_run,
    fresh_postgres,
    postgres_server_url,
)

__all__ = ["database_for_run", "fresh_postgres", "postgres_server_url"]
