"""SQL for configuration templates (UJ6.4.2)."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection

from services.jobs.repository import jsonb


class Templates:
    """UJ6.4.2: configuration templates (005_templates.sql)."""

    COLUMNS = ("id, name, description, tags, visibility, source_job_id, source_job_name, preset, "
               "model, lora, hyperparameters, gpu_type, pricing, gpu_count, created_at")

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, row: dict[str, Any]) -> bool:
        """Insert; False when the name is taken (the unique index decides, so two saves racing
        for one name cannot both win)."""
        cur = await self.conn.execute(
            "INSERT INTO configuration_templates (id, name, description, tags, visibility, "
            "source_job_id, source_job_name, preset, model, lora, hyperparameters, gpu_type, "
            "pricing, gpu_count) VALUES (%(id)s, %(name)s, %(description)s, %(tags)s, "
            "%(visibility)s, %(source_job_id)s, %(source_job_name)s, %(preset)s, %(model)s, "
            "%(lora)s, %(hyperparameters)s, %(gpu_type)s, %(pricing)s, %(gpu_count)s) "
            "ON CONFLICT DO NOTHING",
            {**row, **{k: jsonb(row[k]) for k in ("model", "lora", "hyperparameters")}},
        )
        return cur.rowcount == 1

    async def named(self, name: str) -> dict[str, Any] | None:
        cur = await self.conn.execute(
            f"SELECT {self.COLUMNS} FROM configuration_templates "
            "WHERE lower(btrim(name)) = lower(btrim(%s))", (name,))
        return await cur.fetchone()

    async def get(self, template_id: uuid.UUID) -> dict[str, Any] | None:
        cur = await self.conn.execute(
            f"SELECT {self.COLUMNS} FROM configuration_templates WHERE id = %s", (template_id,))
        return await cur.fetchone()

    async def list(self, tag: str | None, limit: int) -> list[dict[str, Any]]:
        cur = await self.conn.execute(
            f"SELECT {self.COLUMNS} FROM configuration_templates "
            "WHERE %(tag)s::text IS NULL OR %(tag)s = ANY(tags) "
            "ORDER BY created_at DESC LIMIT %(limit)s", {"tag": tag, "limit": limit})
        return await cur.fetchall()

    async def delete(self, template_id: uuid.UUID) -> bool:
        cur = await self.conn.execute(
            "DELETE FROM configuration_templates WHERE id = %s", (template_id,))
        return cur.rowcount == 1
