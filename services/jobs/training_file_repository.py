"""SQL for training files and the training sets that combine them (issue 17)."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import AsyncConnection

from services.jobs.repository import jsonb


class TrainingFiles:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, row: dict[str, Any]) -> None:
        await self.conn.execute(
            "INSERT INTO training_files (id, name, filename, storage_key, format, size_bytes, "
            "stats, eligibility) VALUES (%(id)s, %(name)s, %(filename)s, %(storage_key)s, "
            "%(format)s, %(size_bytes)s, %(stats)s, %(eligibility)s)",
            {**row, "stats": jsonb(row["stats"]), "eligibility": jsonb(row["eligibility"])},
        )

    async def get(self, file_id: uuid.UUID) -> dict[str, Any] | None:
        cur = await self.conn.execute("SELECT * FROM training_files WHERE id = %s", (file_id,))
        return await cur.fetchone()

    async def search(self, q: str, limit: int) -> list[dict[str, Any]]:
        cur = await self.conn.execute(
            "SELECT * FROM training_files WHERE training_set_id IS NULL AND (%(q)s = '' "
            "OR name ILIKE %(like)s OR filename ILIKE %(like)s) "
            "ORDER BY created_at DESC LIMIT %(limit)s",
            {"q": q, "like": f"%{q}%", "limit": limit},
        )
        return await cur.fetchall()


class TrainingSets:
    """Issue 17: a set, and its combined file (a training_files row marked with the set's id)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    async def add(self, row: dict[str, Any], combined: dict[str, Any]) -> None:
        await self.conn.execute(
            "INSERT INTO training_sets (id, name, training_file_ids, duplicates) "
            "VALUES (%(id)s, %(name)s, %(training_file_ids)s, %(duplicates)s)",
            {**row, "duplicates": jsonb(row["duplicates"])})
        await TrainingFiles(self.conn).add(combined)
        await self.conn.execute("UPDATE training_files SET training_set_id = %s WHERE id = %s",
                                (row["id"], combined["id"]))

    async def get(self, set_id: uuid.UUID) -> dict[str, Any] | None:
        cur = await self.conn.execute(
            "SELECT s.*, f.id AS training_file_id, f.storage_key, f.stats, f.eligibility "
            "FROM training_sets s JOIN training_files f ON f.training_set_id = s.id "
            "WHERE s.id = %s", (set_id,))
        return await cur.fetchone()

    async def list(self, limit: int) -> list[dict[str, Any]]:
        cur = await self.conn.execute(
            "SELECT id FROM training_sets ORDER BY created_at DESC LIMIT %s", (limit,))
        return await cur.fetchall()

    async def members(self, file_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
        cur = await self.conn.execute(
            "SELECT id, name, stats FROM training_files WHERE id = ANY(%s)", (file_ids,))
        return await cur.fetchall()
