"""Payouts: each merchant's payout account per currency, payout batches of settled ledger rows
(a ledger row in at most one live batch, by a partial unique index), and their audit rows.

Revision ID: 5f0c2b7a9d13
Revises: 3d2e6a1f0b57
Create Date: 2026-12-03 07:50:32.768297

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '5f0c2b7a9d13'
down_revision = '3d2e6a1f0b57'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payout_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('bank_code', sa.String(length=11), nullable=True),
    sa.Column('bank_name', sa.String(length=120), nullable=False),
    sa.Column('account_number', sa.String(length=34), nullable=False),
    sa.Column('holder', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_payout_accounts_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_accounts')),
    sa.UniqueConstraint('merchant_id', 'currency', name=op.f('uq_payout_accounts_merchant_id_currency'))
    )
    with op.batch_alter_table('payout_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_accounts_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('payouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('period_first', sa.Date(), nullable=True),
    sa.Column('period_last', sa.Date(), nullable=False),
    sa.Column('period_end', sa.DateTime(), nullable=False),
    sa.Column('platform_net', sa.BigInteger(), nullable=False),
    sa.Column('merchant_commission', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('entry_count', sa.Integer(), nullable=False),
    sa.Column('bank_code', sa.String(length=11), nullable=True),
    sa.Column('bank_name', sa.String(length=120), nullable=False),
    sa.Column('account_number', sa.String(length=34), nullable=False),
    sa.Column('holder', sa.String(length=50), nullable=False),
    sa.Column('method', sa.String(length=48), nullable=True),
    sa.Column('reference', sa.String(length=128), nullable=True),
    sa.Column('failure', sa.String(length=500), nullable=True),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('draft', 'exported', 'sending', 'paid', 'cancelled')", name=op.f('ck_payouts_state')),
    sa.CheckConstraint('amount = platform_net - merchant_commission', name=op.f('ck_payouts_sum')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payouts_amount')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_payouts_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_payouts_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts'))
    )
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payouts_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payouts_state'), ['state'], unique=False)

    op.create_table('payout_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=16), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_payout_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_payout_events_merchant_id_merchants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_payout_events_payout_id_payouts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_events'))
    )
    with op.batch_alter_table('payout_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_events_payout_id'), ['payout_id'], unique=False)

    op.create_table('payout_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('payout_id', sa.Integer(), nullable=False),
    sa.Column('ledger_entry_id', sa.Integer(), nullable=False),
    sa.Column('live', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['ledger_entry_id'], ['ledger_entries.id'], name=op.f('fk_payout_entries_ledger_entry_id_ledger_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_payout_entries_merchant_id_merchants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['payout_id'], ['payouts.id'], name=op.f('fk_payout_entries_payout_id_payouts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_entries'))
    )
    with op.batch_alter_table('payout_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_entries_ledger_entry_id'), ['ledger_entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_entries_payout_id'), ['payout_id'], unique=False)
        batch_op.create_index('ux_payout_entries_live', ['ledger_entry_id'], unique=True, sqlite_where=sa.text('live'), postgresql_where=sa.text('live'))



def downgrade():
    with op.batch_alter_table('payout_entries', schema=None) as batch_op:
        batch_op.drop_index('ux_payout_entries_live', sqlite_where=sa.text('live'), postgresql_where=sa.text('live'))
        batch_op.drop_index(batch_op.f('ix_payout_entries_payout_id'))
        batch_op.drop_index(batch_op.f('ix_payout_entries_ledger_entry_id'))

    op.drop_table('payout_entries')
    with op.batch_alter_table('payout_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_events_payout_id'))

    op.drop_table('payout_events')
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payouts_state'))
        batch_op.drop_index(batch_op.f('ix_payouts_merchant_id'))

    op.drop_table('payouts')
    with op.batch_alter_table('payout_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_accounts_merchant_id'))

    op.drop_table('payout_accounts')
