"""Cash on delivery reconciled: the cash a courier brought back for a local day, as the
merchant counted it, and the shipments it covered (each shipment at most once).

Revision ID: 7c3d9a41b5e2
Revises: 2e6172306712
Create Date: 2026-12-06 01:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '7c3d9a41b5e2'
down_revision = '2e6172306712'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cod_remittances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('carrier', sa.String(length=48), nullable=False),
    sa.Column('courier_user_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('expected', sa.BigInteger(), nullable=False),
    sa.Column('counted', sa.BigInteger(), nullable=False),
    sa.Column('difference', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('expected >= 0 AND counted >= 0', name=op.f('ck_cod_remittances_amounts')),
    sa.CheckConstraint('difference = counted - expected', name=op.f('ck_cod_remittances_difference')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_cod_remittances_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['courier_user_id'], ['users.id'], name=op.f('fk_cod_remittances_courier_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_cod_remittances_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cod_remittances'))
    )
    with op.batch_alter_table('cod_remittances', schema=None) as batch_op:
        batch_op.create_index('ix_cod_remittances_merchant_day', ['merchant_id', 'day'], unique=False)
        batch_op.create_index(batch_op.f('ix_cod_remittances_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('cod_remittance_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('remittance_id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_cod_remittance_lines_amount')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_cod_remittance_lines_merchant_id_merchants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_cod_remittance_lines_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_cod_remittance_lines_payment_id_payments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['remittance_id'], ['cod_remittances.id'], name=op.f('fk_cod_remittance_lines_remittance_id_cod_remittances'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_cod_remittance_lines_shipment_id_shipments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cod_remittance_lines')),
    sa.UniqueConstraint('shipment_id', name=op.f('uq_cod_remittance_lines_shipment_id'))
    )
    with op.batch_alter_table('cod_remittance_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cod_remittance_lines_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cod_remittance_lines_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cod_remittance_lines_remittance_id'), ['remittance_id'], unique=False)


def downgrade():
    op.drop_table('cod_remittance_lines')
    op.drop_table('cod_remittances')
