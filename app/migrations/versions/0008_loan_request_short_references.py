"""Loan requests get a short reference for residents (8 characters, read out over the phone).

Until now a resident was given the request's 32-character public id.  Existing requests are
given a new short reference here; the public id still finds them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 18:31:45
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from core.references import new_reference

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_requests = sa.table(
    "loan_requests", sa.column("id", sa.Integer), sa.column("reference", sa.String(8))
)


def upgrade() -> None:
    with op.batch_alter_table("loan_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=8), nullable=True))
    connection = op.get_bind()
    ids = connection.execute(sa.select(_requests.c.id)).scalars().all()
    references: set[str] = set()
    while len(references) < len(ids):
        references.add(new_reference())
    for request_id, reference in zip(ids, sorted(references), strict=True):
        connection.execute(
            sa.update(_requests).where(_requests.c.id == request_id).values(reference=reference)
        )
    with op.batch_alter_table("loan_requests", schema=None) as batch_op:
        batch_op.alter_column("reference", existing_type=sa.String(length=8), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_loan_requests_reference"), ["reference"])


def downgrade() -> None:
    with op.batch_alter_table("loan_requests", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_loan_requests_reference"), type_="unique")
        batch_op.drop_column("reference")
