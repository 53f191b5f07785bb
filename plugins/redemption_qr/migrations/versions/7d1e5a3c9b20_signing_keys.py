"""redemption_qr: each merchant's Ed25519 signing keys (one live key per merchant).

Revision ID: 7d1e5a3c9b20
Revises: (the first revision of the redemption_qr branch)
Create Date: 2026-12-04 02:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "7d1e5a3c9b20"
down_revision = None
branch_labels = ("redemption_qr",)
# The core revision that creates merchants. Not the core's head: a branch depending on the
# head would hide it from the version table.
depends_on = "769e7858aca9"


def upgrade():
    op.create_table(
        "redemption_qr_signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_redemption_qr_signing_keys_merchant_id_merchants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemption_qr_signing_keys")),
    )
    with op.batch_alter_table("redemption_qr_signing_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_redemption_qr_signing_keys_merchant_id"),
                              ["merchant_id"], unique=False)
        batch_op.create_index("ux_redemption_qr_signing_keys_live", ["merchant_id"],
                              unique=True, sqlite_where=sa.text("retired_at IS NULL"),
                              postgresql_where=sa.text("retired_at IS NULL"))


def downgrade():
    op.drop_table("redemption_qr_signing_keys")
