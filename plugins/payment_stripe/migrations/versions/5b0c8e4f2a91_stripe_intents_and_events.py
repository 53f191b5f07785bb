"""payment_stripe: one row per PaymentIntent (the card payment of a checkout) and the webhook
events already handled.

Revision ID: 5b0c8e4f2a91
Revises: (the first revision of the payment_stripe branch)
Create Date: 2026-12-03 08:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "5b0c8e4f2a91"
down_revision = None
branch_labels = ("payment_stripe",)
# The core revision that creates checkouts (the plugin's rows point at them). Not the core's
# head: a branch depending on the head would hide it from the version table.
depends_on = "3e67af24f3be"


def upgrade():
    op.create_table(
        "payment_stripe_intents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkout_id", sa.Integer(), nullable=False),
        sa.Column("intent_id", sa.String(length=255), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("capture_before", sa.DateTime(), nullable=True),
        sa.Column("settled", sa.JSON(), nullable=False),
        sa.Column("captured_amount", sa.BigInteger(), nullable=False),
        sa.Column("card_brand", sa.String(length=32), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_stripe_intents_amount")),
        sa.ForeignKeyConstraint(["checkout_id"], ["checkouts.id"], ondelete="CASCADE",
                                name=op.f("fk_payment_stripe_intents_checkout_id_checkouts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_stripe_intents")),
        sa.UniqueConstraint("intent_id", name=op.f("uq_payment_stripe_intents_intent_id")),
    )
    with op.batch_alter_table("payment_stripe_intents") as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_stripe_intents_checkout_id"),
                              ["checkout_id"], unique=False)
    op.create_table(
        "payment_stripe_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("object_id", sa.String(length=255), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_stripe_events")),
    )


def downgrade():
    op.drop_table("payment_stripe_events")
    with op.batch_alter_table("payment_stripe_intents") as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_stripe_intents_checkout_id"))
    op.drop_table("payment_stripe_intents")
