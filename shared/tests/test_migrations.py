"""Every service's migrations apply on both databases it supports."""

import importlib
from pathlib import Path

import pytest
import sqlalchemy as sa

from isoloir import db, migrations

SERVICES = ["contacts", "consent", "messaging", "rights", "analytics"]


def spec(name: str) -> migrations.MigrationSpec:
    models = importlib.import_module(f"{name}_svc.models")
    package = importlib.import_module(f"{name}_svc")
    return migrations.MigrationSpec(
        service=name,
        versions=Path(package.__file__).parent / "migrations",
        metadata=models.metadata,
    )


async def tables_of(engine: sa.ext.asyncio.AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))


@pytest.mark.parametrize("name", SERVICES)
async def test_migrations_create_every_table_on_sqlite(name: str, tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / name}.db")
    try:
        await migrations.upgrade(engine, spec(name))
        await migrations.upgrade(engine, spec(name))  # a second run changes nothing

        expected = set(db.kernel_metadata.tables) | set(spec(name).metadata.tables)
        assert expected <= await tables_of(engine)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("name", SERVICES)
async def test_migrations_create_every_table_on_postgresql(name: str, database_url: str) -> None:
    engine = db.create_engine(database_url)
    try:
        await migrations.upgrade(engine, spec(name))

        expected = set(db.kernel_metadata.tables) | set(spec(name).metadata.tables)
        assert expected <= await tables_of(engine)
    finally:
        await engine.dispose()
