"""QR posters and flyers (a store, a listing or a campaign, shown at a store) and every scan
of their QR codes, for the online-to-offline funnel.

Revision ID: 2a9c4e7d1f38
Revises: 6b3e9f1a2c47
Create Date: 2026-12-04 02:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '2a9c4e7d1f38'
down_revision = '6b3e9f1a2c47'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('posters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=16), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=16), nullable=False),
    sa.Column('headline', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("target IN ('store', 'listing', 'campaign')", name=op.f('ck_posters_target')),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_posters_merchant_id_merchants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_posters_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_posters')),
    sa.UniqueConstraint('token', name=op.f('uq_posters_token'))
    )
    with op.batch_alter_table('posters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_posters_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_posters_store_id'), ['store_id'], unique=False)

    op.create_table('poster_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('poster_id', sa.Integer(), nullable=False),
    sa.Column('visitor', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_poster_scans_merchant_id_merchants'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poster_id'], ['posters.id'], name=op.f('fk_poster_scans_poster_id_posters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poster_scans'))
    )
    with op.batch_alter_table('poster_scans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poster_scans_merchant_id'), ['merchant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_poster_scans_poster_id'), ['poster_id'], unique=False)


def downgrade():
    op.drop_table('poster_scans')
    op.drop_table('posters')
