"""SQL for the packaging schema: the artifacts of each job."""

from __future__ import annotations

from psycopg import AsyncConnection


class Packaging:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
