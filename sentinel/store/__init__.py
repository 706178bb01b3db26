"""ClickHouse is Sentinel's system of record; this package is the only way to it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sentinel.config import Settings
from sentinel.metrics import Metrics
from sentinel.store.client import StoreUnavailable, client_for, database_for
from sentinel.store.ddl import DdlContext
from sentinel.store.migrations import migrate, status
from sentinel.store.spool import Spool
from sentinel.store.writer import Ack, Writer

__all__ = ["Store", "StoreUnavailable", "Ack", "Writer", "DdlContext"]


@dataclass
class Store:
    client: object
    ctx: DdlContext
    settings: Settings

    @classmethod
    def open(cls, settings: Settings) -> "Store":
        if settings.dsn.startswith("chdb:"):
            # Created private (0700), as systemd's StateDirectoryMode: the store, checkpoints
            # and spool below hold masked data, but data about the organisation's traffic.
            settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        ctx = DdlContext(
            database=database_for(settings),
            cluster=settings.config.storage.cluster,
            retention=settings.config.retention.model_dump(),
        )
        return cls(client_for(settings), ctx, settings)

    def migrate(self) -> list[int]:
        return migrate(self.client, self.ctx)

    def status(self):
        return status(self.client, self.ctx)

    @property
    def spool_dir(self) -> Path:
        """Where the writer spools batches ClickHouse could not take (an erasure scrubs it)."""
        return self.settings.data_dir / "spool"

    def writer(self, metrics: Metrics | None = None) -> Writer:
        storage = self.settings.config.storage
        spool = Spool(self.spool_dir, storage.spool_max_bytes)
        return Writer(self.client, self.ctx, spool, storage.batch_rows, storage.batch_seconds, metrics)

    def table(self, name: str) -> str:
        return self.ctx.qualified(name)

    def query(self, sql: str, parameters: dict | None = None):
        """Run a query; `{db}` in the SQL names Sentinel's database."""
        return self.client.query(sql.replace("{db}", f"`{self.ctx.database}`"), parameters=parameters or {})

    @property
    def embedded(self) -> bool:
        return self.settings.dsn.startswith("chdb:")

    def release_memory(self) -> bool:
        """Hand the embedded engine's freed memory back to the kernel.

        chDB's allocator (jemalloc) keeps pages freed by inserts and merges for reuse:
        in a daemon inserting every second that is ~50 MiB of RSS nobody uses. A purge
        takes ~0.2 ms. A server's memory is its own business: no-op there.
        """
        if not self.embedded:
            return False
        try:
            self.client.command("SYSTEM JEMALLOC PURGE")
            return True
        except Exception:  # a build without jemalloc: nothing to release
            return False

    def close(self) -> None:
        try:
            self.client.close()
        except Exception:
            pass
