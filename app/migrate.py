"""Alembic driven from the application's engine (``flask --app app db ...``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from app.models import metadata

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


_ONLY_TABLES: set[str] = set()


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Compare only our own tables (PostGIS adds ``spatial_ref_sys`` and friends).

    While a revision is written with ``tables=...``, only those tables are compared, so one
    migration can be written per package while other packages' models are still changing.
    """
    if type_ == "table":
        return name in metadata.tables and (not _ONLY_TABLES or name in _ONLY_TABLES)
    return True


def _run(engine: Engine, action: str, *args: object, **kwargs: object) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # SQLite alters a table by copying it, dropping the old one and renaming the copy
        # (Alembic's batch mode); dropping a table that other rows refer to fails while foreign
        # keys are enforced.  So they are off during a migration, as SQLite's documentation
        # advises, and every reference is checked before the migration commits.  The pragma
        # only works outside a transaction, hence on the driver connection before ``begin``.
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                getattr(command, action)(config, *args, **kwargs)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(
                            f"The migration would leave {len(broken)} broken reference(s), first "
                            f"in table {broken[0][0]}; nothing was changed."
                        )
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, _compare_to: object
) -> bool:
    """Leave the model tables outside a ``tables=...`` revision out of it."""
    if type_ == "table" and _ONLY_TABLES:
        return name in _ONLY_TABLES
    if type_ in ("index", "unique_constraint", "foreign_key_constraint", "column") and _ONLY_TABLES:
        table = getattr(obj, "table", None)
        return table is None or table.name in _ONLY_TABLES
    return True


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision``."""
    _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database down to ``revision``."""
    _run(engine, "downgrade", revision)


def revision(
    engine: Engine, message: str, *, tables: set[str] | None = None, rev_id: str | None = None
) -> None:
    """Write a new migration from the difference between the models and the database."""
    _ONLY_TABLES.clear()
    _ONLY_TABLES.update(tables or ())
    try:
        _run(engine, "revision", message=message, autogenerate=True, rev_id=rev_id)
    finally:
        _ONLY_TABLES.clear()


def current(engine: Engine) -> str | None:
    """The revision the database is at."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def drift(engine: Engine) -> list[object]:
    """Differences between the models and the migrated database (empty when they agree)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": include_name,
                "render_as_batch": connection.dialect.name == "sqlite",
            },
        )
        return list(compare_metadata(context, metadata))
