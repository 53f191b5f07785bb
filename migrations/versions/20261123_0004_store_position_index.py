"""An index on the stores' position: "in stock near me" on Meilisearch reads the stores
within the radius from the database (a bounding box, then haversine).

Revision ID: 7b1f4c2d9e10
Revises: 3e67af24f3be
Create Date: 2026-11-23 11:10:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7b1f4c2d9e10'
down_revision = '3e67af24f3be'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.create_index('ix_stores_position', ['latitude', 'longitude'], unique=False)


def downgrade():
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_index('ix_stores_position')
