"""Alembic, per service: each service's revisions plus the kernel's own branch.

Every service keeps its revisions in `<package>/migrations/` (branch label = service name);
the kernel tables (outbox, processed events, revocations) live in the `kernel` branch here.
`upgrade` runs both to their heads on the service's own database before it serves; on
PostgreSQL an advisory lock lets only one replica migrate at a time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from isoloir.db import kernel_metadata

KERNEL_VERSIONS = Path(__file__).parent / "kernel_migrations"
ENV_DIR = Path(__file__).parent / "alembic_env"
MIGRATION_LOCK_ID = 0x150_1018


@dataclass(frozen=True)
class MigrationSpec:
    """Where a service's revisions live and which tables they describe."""

    service: str
    versions: Path
    metadata: sa.MetaData


def config(spec: MigrationSpec, connection: Connection | None = None) -> Config:
    """Return an Alembic config for this service (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(ENV_DIR))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option(
        "version_locations", os.pathsep.join([str(spec.versions), str(KERNEL_VERSIONS)])
    )
    cfg.attributes["metadata"] = [kernel_metadata, spec.metadata]
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection, spec: MigrationSpec) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})"))
    command.upgrade(config(spec, connection), "heads")


async def upgrade(engine: AsyncEngine, spec: MigrationSpec) -> None:
    """Bring the service's database to the latest revision of both branches."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, spec)


def run_env(context: Any) -> None:
    """Body of env.py: run migrations on the connection handed over in the config."""
    cfg = context.config
    connection: Connection | None = cfg.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations run through isoloir.migrations, which passes a connection")
    context.configure(
        connection=connection,
        target_metadata=cfg.attributes["metadata"],
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        user_module_prefix="isoloir.db.",
    )
    with context.begin_transaction():
        context.run_migrations()
