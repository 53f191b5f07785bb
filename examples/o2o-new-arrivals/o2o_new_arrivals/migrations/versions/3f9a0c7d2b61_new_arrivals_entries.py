"""new_arrivals: the entries table.

Revision ID: 3f9a0c7d2b61
Revises: (the first revision of the new_arrivals branch)
Create Date: 2026-11-23 02:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "3f9a0c7d2b61"
down_revision = None
branch_labels = ("new_arrivals",)
# The core revision that creates merchants and listings.
depends_on = "769e7858aca9"


def upgrade():
    op.create_table(
        "new_arrivals_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], ondelete="CASCADE",
                                name=op.f("fk_new_arrivals_entries_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], ondelete="CASCADE",
                                name=op.f("fk_new_arrivals_entries_listing_id_listings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_new_arrivals_entries")),
        sa.UniqueConstraint("merchant_id", "listing_id",
                            name=op.f("uq_new_arrivals_entries_merchant_id_listing_id")),
    )
    with op.batch_alter_table("new_arrivals_entries") as batch_op:
        batch_op.create_index(batch_op.f("ix_new_arrivals_entries_merchant_id"),
                              ["merchant_id"], unique=False)


def downgrade():
    with op.batch_alter_table("new_arrivals_entries") as batch_op:
        batch_op.drop_index(batch_op.f("ix_new_arrivals_entries_merchant_id"))
    op.drop_table("new_arrivals_entries")
