"""booking_appointments: paying ahead — a service's deposit or full price, and the order that
pays for a booking.

On SQLite a foreign key is added by rebuilding the bookings table (batch mode), and with
foreign keys on, dropping the old table deletes every occupancy through its cascade: they are
copied aside around the rebuild and put back, as in the group sessions revision.

Revision ID: 7e1d3f8a2c65
Revises: 5c2e7b9d1a40
Create Date: 2026-12-05 09:00:00

"""
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op


revision = '7e1d3f8a2c65'
down_revision = '5c2e7b9d1a40'
branch_labels = None
# The core revision that creates orders.
depends_on = '3e67af24f3be'


@contextmanager
def _occupancies_kept():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        op.execute('CREATE TEMPORARY TABLE kept_occupancies AS '
                   'SELECT * FROM booking_appointments_occupancies')
        op.execute('DELETE FROM booking_appointments_occupancies')
    yield
    if sqlite:
        op.execute('INSERT INTO booking_appointments_occupancies '
                   'SELECT * FROM kept_occupancies')
        op.execute('DROP TABLE kept_occupancies')


def upgrade():
    # Plain ALTERs: rebuilding the services table would cascade to every booking.
    op.add_column('booking_appointments_services',
                  sa.Column('payment', sa.String(length=12), nullable=False,
                            server_default='at_store'))
    op.add_column('booking_appointments_services',
                  sa.Column('deposit_amount', sa.BigInteger(), nullable=True))
    with _occupancies_kept(), \
            op.batch_alter_table('booking_appointments_bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('order_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_booking_appointments_bookings_order_id'),
                              ['order_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_booking_appointments_bookings_order_id_orders'), 'orders',
            ['order_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with _occupancies_kept(), \
            op.batch_alter_table('booking_appointments_bookings', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_booking_appointments_bookings_order_id_orders'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_booking_appointments_bookings_order_id'))
        batch_op.drop_column('order_id')
    op.drop_column('booking_appointments_services', 'deposit_amount')  # SQLite 3.35+: ALTER
    op.drop_column('booking_appointments_services', 'payment')
