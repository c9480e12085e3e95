"""Former champions: when a champion stopped, so their details can be erased after the
retention period.  Champions already inactive count from their last update.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21 19:24:50.818629
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("champions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("left_at", core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("personal_data_purged_at", core.db.UTCDateTime(timezone=True), nullable=True)
        )
    # The best date there is for champions who had already stopped.
    op.execute(sa.text("UPDATE champions SET left_at = updated_at WHERE NOT active"))


def downgrade() -> None:
    with op.batch_alter_table("champions", schema=None) as batch_op:
        batch_op.drop_column("personal_data_purged_at")
        batch_op.drop_column("left_at")
