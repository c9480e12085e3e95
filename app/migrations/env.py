"""Alembic environment: runs migrations against the engine the app command passes in."""

from __future__ import annotations

from alembic import context

from app.migrate import include_name, include_object
from app.models import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "Run migrations through `flask --app app db ...`, which supplies the connection."
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
