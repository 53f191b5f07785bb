"""delivery_local_courier: the riders' photos of delivered parcels.

Revision ID: 968f9e90db82
Revises: (the first revision of the delivery_local_courier branch)
Create Date: 2026-12-06 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "968f9e90db82"
down_revision = None
branch_labels = ("delivery_local_courier",)
# The core revision that creates shipments and their timeline (the photos point at both).
depends_on = "2e6172306712"


def upgrade():
    op.create_table(
        "delivery_local_courier_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("shipment_event_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], ondelete="CASCADE",
            name=op.f("fk_delivery_local_courier_photos_merchant_id_merchants")),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], ondelete="CASCADE",
            name=op.f("fk_delivery_local_courier_photos_shipment_id_shipments")),
        sa.ForeignKeyConstraint(
            ["shipment_event_id"], ["shipment_events.id"], ondelete="CASCADE",
            name=op.f("fk_delivery_local_courier_photos_shipment_event_id_shipment_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_local_courier_photos")),
        sa.UniqueConstraint("shipment_event_id",
                            name=op.f("uq_delivery_local_courier_photos_shipment_event_id")),
    )
    with op.batch_alter_table("delivery_local_courier_photos") as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_local_courier_photos_merchant_id"),
                              ["merchant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_local_courier_photos_shipment_id"),
                              ["shipment_id"], unique=False)


def downgrade():
    with op.batch_alter_table("delivery_local_courier_photos") as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_local_courier_photos_shipment_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_local_courier_photos_merchant_id"))
    op.drop_table("delivery_local_courier_photos")
