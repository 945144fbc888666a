"""A JetStream cluster of embedded NATS servers on loopback: for the scale-out test and benchmark.

Each node has its client port, its cluster (route) port and its own store; every node lists every
route, so any two nodes form the cluster and a stopped node rejoins when it starts again. Clients
get all the client URLs (`url`, comma-separated, as BRIGHTRUN_NATS_URL takes them).
"""

from __future__ import annotations

from pathlib import Path

from libs.common.embedded.nats import EmbeddedNats
from libs.common.ports import free_port

CLUSTER_NAME = "brightrun"


class ClusterNode(EmbeddedNats):
    def __init__(self, store_dir: Path, name: str, cluster_port: int, routes: list[str]) -> None:
        super().__init__(store_dir)
        self.name = name
        self.cluster_port = cluster_port
        self.routes = routes

    def command(self) -> list[str]:
        return [*super().command(), "--name", self.name, "--cluster_name", CLUSTER_NAME,
                "--cluster", f"nats://127.0.0.1:{self.cluster_port}",
                "--routes", ",".join(self.routes)]


class EmbeddedNatsCluster:
    def __init__(self, base_dir: Path, size: int = 3) -> None:
        cluster_ports = [free_port() for _ in range(size)]
        routes = [f"nats://127.0.0.1:{p}" for p in cluster_ports]
        self.nodes = [ClusterNode(base_dir / f"n{i}", f"n{i}", port, routes)
                      for i, port in enumerate(cluster_ports)]

    @property
    def url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def start(self, log_dir: Path | None = None) -> None:
        for node in self.nodes:
            node.start(log_dir / f"{node.name}.log" if log_dir else None)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
