"""Promotion campaigns and the vouchers customers claim from them: the campaign's terms
(discount, minimum spend, eligible listings, categories and stores, dates, daily hours and
weekdays, channel), its quota with the count claimed under a check constraint, and each
voucher's claim source, use at a counter or on an order, and cancellation. The vouchers'
codes are rows of ``redeemable_codes`` (kind ``voucher``), which need no change.

Revision ID: 6b3e9f1a2c47
Revises: 0c4d8e2a7b65
Create Date: 2026-12-04 02:28:33

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '6b3e9f1a2c47'
down_revision = '0c4d8e2a7b65'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('token', sa.String(length=16), nullable=False),
    sa.Column('discount_kind', sa.String(length=16), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('max_discount', sa.BigInteger(), nullable=True),
    sa.Column('free_variant_id', sa.Integer(), nullable=True),
    sa.Column('min_spend', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('listing_ids', sa.JSON(), nullable=False),
    sa.Column('category_ids', sa.JSON(), nullable=False),
    sa.Column('store_ids', sa.JSON(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('daily_start', sa.Time(), nullable=True),
    sa.Column('daily_end', sa.Time(), nullable=True),
    sa.Column('weekdays', sa.JSON(), nullable=False),
    sa.Column('quota', sa.Integer(), nullable=True),
    sa.Column('claimed_count', sa.Integer(), nullable=False),
    sa.Column('per_customer_limit', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('activated_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(discount_kind = 'percent' AND percent BETWEEN 1 AND 100 AND amount IS NULL AND free_variant_id IS NULL) OR (discount_kind = 'amount' AND amount > 0 AND percent IS NULL AND max_discount IS NULL AND free_variant_id IS NULL) OR (discount_kind = 'free_item' AND free_variant_id IS NOT NULL AND percent IS NULL AND amount IS NULL AND max_discount IS NULL)", name=op.f('ck_campaigns_discount')),
    sa.CheckConstraint("channel IN ('online', 'in_store', 'both')", name=op.f('ck_campaigns_channel')),
    sa.CheckConstraint("state IN ('draft', 'active', 'paused', 'ended')", name=op.f('ck_campaigns_state')),
    sa.CheckConstraint('(daily_start IS NULL) = (daily_end IS NULL)', name=op.f('ck_campaigns_hours')),
    sa.CheckConstraint('claimed_count >= 0 AND (quota IS NULL OR claimed_count <= quota)', name=op.f('ck_campaigns_claimed')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_campaigns_dates')),
    sa.CheckConstraint('max_discount IS NULL OR max_discount > 0', name=op.f('ck_campaigns_max_discount')),
    sa.CheckConstraint('min_spend >= 0', name=op.f('ck_campaigns_min_spend')),
    sa.CheckConstraint('per_customer_limit > 0', name=op.f('ck_campaigns_per_customer')),
    sa.CheckConstraint('quota IS NULL OR quota > 0', name=op.f('ck_campaigns_quota')),
    sa.ForeignKeyConstraint(['free_variant_id'], ['variants.id'], name=op.f('fk_campaigns_free_variant_id_variants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_campaigns_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns')),
    sa.UniqueConstraint('token', name=op.f('uq_campaigns_token'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('vouchers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('source_store_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.Column('redeemed_at', sa.DateTime(), nullable=True),
    sa.Column('redeemed_store_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('bill_amount', sa.BigInteger(), nullable=True),
    sa.Column('discount', sa.BigInteger(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("source IN ('merchant_page', 'link', 'poster')", name=op.f('ck_vouchers_source')),
    sa.CheckConstraint("state IN ('available', 'redeemed', 'applied', 'cancelled')", name=op.f('ck_vouchers_state')),
    sa.CheckConstraint('bill_amount IS NULL OR bill_amount >= 0', name=op.f('ck_vouchers_bill_amount')),
    sa.CheckConstraint('discount IS NULL OR discount >= 0', name=op.f('ck_vouchers_discount')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_vouchers_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['users.id'], name=op.f('fk_vouchers_customer_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_vouchers_merchant_id_merchants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_vouchers_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['redeemed_store_id'], ['stores.id'], name=op.f('fk_vouchers_redeemed_store_id_stores'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_store_id'], ['stores.id'], name=op.f('fk_vouchers_source_store_id_stores'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vouchers'))
    )
    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.create_index('ix_vouchers_campaign_customer', ['campaign_id', 'customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vouchers_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vouchers_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vouchers_order_id'), ['order_id'], unique=False)


def downgrade():
    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vouchers_order_id'))
        batch_op.drop_index(batch_op.f('ix_vouchers_merchant_id'))
        batch_op.drop_index(batch_op.f('ix_vouchers_customer_id'))
        batch_op.drop_index('ix_vouchers_campaign_customer')

    op.drop_table('vouchers')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_merchant_id'))

    op.drop_table('campaigns')
