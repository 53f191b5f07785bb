"""Plugin platform and themes: platform and per-merchant plugin records, platform switches,
the merchant's theme.

Revision ID: 6861004ba490
Revises: 769e7858aca9
Create Date: 2026-11-22 23:57:37.793102

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '6861004ba490'
down_revision = '769e7858aca9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('merchant_plugins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('merchant_id', sa.Integer(), nullable=False),
    sa.Column('plugin_name', sa.String(length=48), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('secrets', sa.Text(), nullable=True),
    sa.Column('secret_keys', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['merchant_id'], ['merchants.id'], name=op.f('fk_merchant_plugins_merchant_id_merchants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_merchant_plugins')),
    sa.UniqueConstraint('merchant_id', 'plugin_name', name=op.f('uq_merchant_plugins_merchant_id_plugin_name'))
    )
    with op.batch_alter_table('merchant_plugins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_merchant_plugins_merchant_id'), ['merchant_id'], unique=False)

    op.create_table('platform_plugins',
    sa.Column('name', sa.String(length=48), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('secrets', sa.Text(), nullable=True),
    sa.Column('secret_keys', sa.JSON(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_platform_plugins_changed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_platform_plugins'))
    )
    op.create_table('platform_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_platform_settings_changed_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_platform_settings'))
    )
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('theme', sa.String(length=48), nullable=True))
        batch_op.add_column(sa.Column('plugins_revision', sa.Integer(), nullable=False, server_default='0'))



def downgrade():
    with op.batch_alter_table('merchants', schema=None) as batch_op:
        batch_op.drop_column('plugins_revision')
        batch_op.drop_column('theme')

    op.drop_table('platform_settings')
    op.drop_table('platform_plugins')
    with op.batch_alter_table('merchant_plugins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_merchant_plugins_merchant_id'))

    op.drop_table('merchant_plugins')
