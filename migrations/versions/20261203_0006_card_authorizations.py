"""Card authorizations on payments: when the hold lapses at the provider, whether a capture is
already queued, and why the provider refused.

Revision ID: 3d2e6a1f0b57
Revises: 8cb891d18b1c
Create Date: 2026-12-03 08:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '3d2e6a1f0b57'
down_revision = '8cb891d18b1c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capture_before', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('capture_requested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failure', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('failure')
        batch_op.drop_column('capture_requested_at')
        batch_op.drop_column('capture_before')
