"""The database pool (one schema per service) and the numbered-SQL migration runner."""

from __future__ import annotations

import logging
from pathlib import Path

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

log = logging.getLogger(__name__)
COMMON_MIGRATIONS = Path(__file__).with_name("migrations")


def open_pool(url: str, schema: str, max_size: int = 8) -> AsyncConnectionPool:
    # autocommit: reads outside a unit of work never hold a transaction open;
    # a unit of work opens an explicit one.
    return AsyncConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        kwargs={"autocommit": True, "row_factory": dict_row,
                "options": f"-c search_path={schema},public"},
        open=False,
    )


def _migration_files(service_dir: Path | None) -> list[tuple[str, Path]]:
    files = [(f"common/{p.name}", p) for p in sorted(COMMON_MIGRATIONS.glob("*.sql"))]
    if service_dir is not None:
        files += [(p.name, p) for p in sorted(service_dir.glob("*.sql"))]
    return files


async def migrate(conn: AsyncConnection, schema: str, service_dir: Path | None) -> list[str]:
    """Apply the not-yet-applied files (the common ones, then the service's) in order, all in ONE
    transaction under the schema's advisory lock: replicas starting together wait for each other,
    and a file that fails rolls back every file of this run, so the schema is never half-migrated.
    Returns the versions applied now."""
    applied_now: list[str] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (schema,))
        await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        await conn.execute(f'SET LOCAL search_path = "{schema}", public')
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        rows = await (await conn.execute("SELECT version FROM schema_migrations")).fetchall()
        done = {r["version"] if isinstance(r, dict) else r[0] for r in rows}
        for version, path in _migration_files(service_dir):
            if version in done:
                continue
            await conn.execute(path.read_text())
            await conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
            applied_now.append(version)
    if applied_now:
        log.info("migrated %s: %s", schema, ", ".join(applied_now))
    return applied_now
