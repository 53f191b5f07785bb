"""The settlement ledger: one append-only row per captured payment and per refund, with the
commission at the rate of the day and who collected the money.

Revision ID: 8cb891d18b1c
Revises: 7b1f4c2d9e10
Create Date: 2026-11-23 11:35:51.083549

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '8cb891d18b1c'
down_revision = '7b1f4c2d9e10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('collected_by', sa.String(length=16), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('gross', sa.BigInteger(), nullable=False),
    sa.Column('commission', sa.BigInteger(), nullable=False),
    sa.Column('net', sa.BigInteger(), nullable=False),
    sa.Column('commission_bp', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(kind = 'capture' AND gross > 0 AND refund_id IS NULL) OR (kind = 'refund' AND gross < 0 AND refund_id IS NOT NULL)", name=op.f('ck_ledger_entries_sign')),
    sa.CheckConstraint("collected_by IN ('platform', 'merchant')", name=op.f('ck_ledger_entries_collected_by')),
    sa.CheckConstraint("kind IN ('capture', 'refund')", name=op.f('ck_ledger_entries_kind')),
    sa.CheckConstraint('commission_bp >= 0 AND commission_bp <= 10000', name=op.f('ck_ledger_entries_rate')),
    sa.CheckConstraint('net = gross - commission', name=op.f('ck_ledger_entries_net')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_ledger_entries_merchant_id_merchants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_ledger_entries_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_ledger_entries_payment_id_payments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_ledger_entries_refund_id_refunds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_ledger_entries_refund_id'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ux_ledger_entries_capture', ['payment_id'], unique=True, sqlite_where=sa.text("kind = 'capture'"), postgresql_where=sa.text("kind = 'capture'"))



def downgrade():
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ux_ledger_entries_capture', sqlite_where=sa.text("kind = 'capture'"), postgresql_where=sa.text("kind = 'capture'"))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_order_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_created_at'))

    op.drop_table('ledger_entries')
