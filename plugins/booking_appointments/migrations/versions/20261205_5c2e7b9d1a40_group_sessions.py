"""booking_appointments: group sessions — a service's places per session (``seats``), the
sessions themselves, and the bookings and occupancies that belong to one.

A session takes its instructor and room once, through occupancies of its own, so an
occupancy now has exactly one of three owners: a booking, a block or a session.

On SQLite, ALTER TABLE cannot add a foreign key, so batch mode rebuilds the table: a new
table, the rows copied, the old one dropped. But the app runs SQLite with foreign keys on,
and DROP TABLE then deletes every row first, with its cascades: rebuilding the bookings
table deletes every occupancy. The occupancies are copied aside around that rebuild and put
back. The services table only gets a column (a plain ALTER, no rebuild: rebuilding it would
cascade to every booking).

Revision ID: 5c2e7b9d1a40
Revises: 9a4f2c6e1b83
Create Date: 2026-12-05 08:00:00

"""
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op


revision = "5c2e7b9d1a40"
down_revision = "9a4f2c6e1b83"
branch_labels = None
depends_on = None

OLD_OWNER = "(booking_id IS NULL) <> (block_id IS NULL)"
# Exactly one owner, counted through CASE (PostgreSQL does not add booleans).
NEW_OWNER = ("(CASE WHEN booking_id IS NULL THEN 0 ELSE 1 END)"
             " + (CASE WHEN block_id IS NULL THEN 0 ELSE 1 END)"
             " + (CASE WHEN session_id IS NULL THEN 0 ELSE 1 END) = 1")


@contextmanager
def _occupancies_kept():
    """Around a rebuild of the bookings table on SQLite: the occupancies it would delete
    (see above) are copied aside and put back. PostgreSQL ALTERs in place."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMPORARY TABLE kept_occupancies AS "
                   "SELECT * FROM booking_appointments_occupancies")
        # All of them, blocks' too: put back as one set, whatever the cascade reached.
        op.execute("DELETE FROM booking_appointments_occupancies")
    yield
    if sqlite:
        op.execute("INSERT INTO booking_appointments_occupancies "
                   "SELECT * FROM kept_occupancies")
        op.execute("DROP TABLE kept_occupancies")


def upgrade():
    op.add_column("booking_appointments_services",
                  sa.Column("seats", sa.Integer(), nullable=False, server_default="1"))

    op.create_table("booking_appointments_sessions",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("merchant_id", sa.Integer(), nullable=False),
    sa.Column("service_id", sa.Integer(), nullable=False),
    sa.Column("store_id", sa.Integer(), nullable=False),
    sa.Column("starts_at", sa.DateTime(), nullable=False),
    sa.Column("ends_at", sa.DateTime(), nullable=False),
    sa.Column("seats", sa.Integer(), nullable=False),
    sa.Column("seats_taken", sa.Integer(), nullable=False),
    sa.Column("staff_id", sa.Integer(), nullable=True),
    sa.Column("resource_id", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(), nullable=False),
    sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_booking_appointments_sessions_period")),
    sa.CheckConstraint("seats_taken >= 0 AND seats_taken <= seats", name=op.f("ck_booking_appointments_sessions_seats")),
    sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], name=op.f("fk_booking_appointments_sessions_merchant_id_merchants"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["resource_id"], ["booking_appointments_resources.id"], name=op.f("fk_booking_appointments_sessions_resource_id_booking_appointments_resources"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["service_id"], ["booking_appointments_services.id"], name=op.f("fk_booking_appointments_sessions_service_id_booking_appointments_services"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["staff_id"], ["booking_appointments_resources.id"], name=op.f("fk_booking_appointments_sessions_staff_id_booking_appointments_resources"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["store_id"], ["stores.id"], name=op.f("fk_booking_appointments_sessions_store_id_stores"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_appointments_sessions")),
    sa.UniqueConstraint("service_id", "store_id", "starts_at", name=op.f("uq_booking_appointments_sessions_service_id_store_id_starts_at"))
    )
    with op.batch_alter_table("booking_appointments_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_appointments_sessions_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_appointments_sessions_resource_id"), ["resource_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_appointments_sessions_staff_id"), ["staff_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_appointments_sessions_store_id"), ["store_id"], unique=False)

    with _occupancies_kept(), \
            op.batch_alter_table("booking_appointments_bookings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_booking_appointments_bookings_session_id_booking_appointments_sessions"),
            "booking_appointments_sessions", ["session_id"], ["id"], ondelete="SET NULL")
        batch_op.create_index(batch_op.f("ix_booking_appointments_bookings_session_id"),
                              ["session_id"], unique=False)

    # Nothing refers to the occupancies: SQLite may rebuild this table safely. On PostgreSQL
    # these are ALTERs, and the exclusion constraint stays as it is.
    with op.batch_alter_table("booking_appointments_occupancies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_booking_appointments_occupancies_session_id_booking_appointments_sessions"),
            "booking_appointments_sessions", ["session_id"], ["id"], ondelete="CASCADE")
        batch_op.create_index(batch_op.f("ix_booking_appointments_occupancies_session_id"),
                              ["session_id"], unique=False)
        batch_op.drop_constraint(batch_op.f("ck_booking_appointments_occupancies_owner"),
                                 type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_booking_appointments_occupancies_owner"),
                                         NEW_OWNER)


def downgrade():
    # A session's occupancies have no owner in the old schema: the time they took is freed.
    op.execute("DELETE FROM booking_appointments_occupancies WHERE session_id IS NOT NULL")
    with op.batch_alter_table("booking_appointments_occupancies", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_booking_appointments_occupancies_owner"),
                                 type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_booking_appointments_occupancies_owner"),
                                         OLD_OWNER)
        batch_op.drop_index(batch_op.f("ix_booking_appointments_occupancies_session_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_booking_appointments_occupancies_session_id_booking_appointments_sessions"),
            type_="foreignkey")
        batch_op.drop_column("session_id")

    with _occupancies_kept(), \
            op.batch_alter_table("booking_appointments_bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_appointments_bookings_session_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_booking_appointments_bookings_session_id_booking_appointments_sessions"),
            type_="foreignkey")
        batch_op.drop_column("session_id")

    with op.batch_alter_table("booking_appointments_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_appointments_sessions_store_id"))
        batch_op.drop_index(batch_op.f("ix_booking_appointments_sessions_staff_id"))
        batch_op.drop_index(batch_op.f("ix_booking_appointments_sessions_resource_id"))
        batch_op.drop_index(batch_op.f("ix_booking_appointments_sessions_merchant_id"))
    op.drop_table("booking_appointments_sessions")

    op.drop_column("booking_appointments_services", "seats")  # SQLite 3.35+: ALTER, no rebuild
