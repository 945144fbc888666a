"""A FAKE of RunPod's GraphQL API, for tests only: the one outside service we cannot reach.

It speaks the wire protocol the `runpod` SDK uses: `POST <base>/graphql` with a JSON body
`{"query": ...}` and `Authorization: Bearer <key>` (or RunPod's `?api_key=`), answered with
`{"data": ...}` or `{"data": ..., "errors": [{"message": ...}]}`. Queries are parsed, validated and
executed by graphql-core against the part of RunPod's schema we use (pods, GPU types), so a field
or argument RunPod does not have fails here as it would there.

Scriptable: `no_capacity` (RunPod's own error text; `no_spot_capacity` for spot alone), `boot_polls` (a pod stays booting for N
polls), `preempt()` (a spot pod goes EXITED), `fail_next()` (HTTP 5xx), `stop()` (unreachable).
`created` and `terminated` record what the code under test asked for.
"""

from __future__ import annotations

import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from graphql import GraphQLError, build_schema, graphql_sync

NO_CAPACITY = ("There are no longer any instances available with the requested specifications. "
               "Please refresh and try again.")
_POD_INPUT = """
  name: String, imageName: String, cloudType: CloudTypeEnum, startSsh: Boolean,
  startJupyter: Boolean, gpuTypeId: String, supportPublicIp: Boolean, gpuCount: Int,
  volumeInGb: Int, containerDiskInGb: Int, minVcpuCount: Int, minMemoryInGb: Int,
  allowedCudaVersions: [String], dataCenterId: String, countryCode: String, dockerArgs: String,
  ports: String, volumeMountPath: String, env: [EnvironmentVariableInput], templateId: String,
  networkVolumeId: String, minDownload: Int, minUpload: Int, instanceId: String
"""
SCHEMA = build_schema(f"""
scalar Void
enum CloudTypeEnum {{ ALL SECURE COMMUNITY }}
enum PodStatus {{ CREATED RUNNING RESTARTING EXITED PAUSED DEAD TERMINATED }}
input EnvironmentVariableInput {{ key: String!, value: String! }}
input GpuTypeFilter {{ id: String }}
input LowestPriceInput {{ gpuCount: Int! }}
input PodFilter {{ podId: String! }}
input PodTerminateInput {{ podId: String! }}
input PodFindAndDeployOnDemandInput {{ {_POD_INPUT} }}
input PodRentInterruptableInput {{ bidPerGpu: Float!, {_POD_INPUT} }}
type LowestPrice {{ minimumBidPrice: Float, uninterruptablePrice: Float, stockStatus: String }}
type GpuType {{
  id: String, displayName: String, manufacturer: String, memoryInGb: Int, cudaCores: Int,
  maxGpuCount: Int, secureCloud: Boolean, communityCloud: Boolean, securePrice: Float,
  communityPrice: Float, oneMonthPrice: Float, threeMonthPrice: Float, oneWeekPrice: Float,
  communitySpotPrice: Float, secureSpotPrice: Float, lowestPrice(input: LowestPriceInput): LowestPrice
}}
type PortMapping {{ ip: String, isIpPublic: Boolean, privatePort: Int, publicPort: Int, type: String }}
type PodRuntime {{ uptimeInSeconds: Int, ports: [PortMapping] }}
type Machine {{ podHostId: String, gpuDisplayName: String }}
type Pod {{
  id: String, name: String, imageName: String, env: [String], machineId: String, machine: Machine,
  desiredStatus: PodStatus, lastStatusChange: String, costPerHr: Float, gpuCount: Int,
  containerDiskInGb: Int, dockerArgs: String, dockerId: String, memoryInGb: Float, podType: String,
  port: Int, ports: String, uptimeSeconds: Int, vcpuCount: Float, volumeInGb: Float,
  volumeMountPath: String, runtime: PodRuntime
}}
type User {{ id: String, pods: [Pod] }}
type Query {{ gpuTypes(input: GpuTypeFilter): [GpuType], pod(input: PodFilter): Pod, myself: User }}
type Mutation {{
  podFindAndDeployOnDemand(input: PodFindAndDeployOnDemandInput): Pod
  podRentInterruptable(input: PodRentInterruptableInput!): Pod
  podTerminate(input: PodTerminateInput): Void
}}
""")


def _gpu(gpu_id: str, name: str, memory: int, secure: float, spot: float) -> dict[str, Any]:
    return {"id": gpu_id, "displayName": name, "manufacturer": "Nvidia", "memoryInGb": memory,
            "maxGpuCount": 8, "secureCloud": True, "communityCloud": True, "securePrice": secure,
            "communityPrice": round(secure * 0.85, 2), "secureSpotPrice": spot,
            "communitySpotPrice": round(spot * 0.9, 2), "oneWeekPrice": None,
            "oneMonthPrice": None, "threeMonthPrice": None, "cudaCores": 0}


CATALOGUE = [
    _gpu("NVIDIA H100 PCIe", "H100 PCIe", 80, 2.39, 1.25),
    _gpu("NVIDIA A100 80GB PCIe", "A100 PCIe", 80, 1.64, 0.82),
    _gpu("NVIDIA L40S", "L40S", 48, 0.86, 0.43),
    _gpu("NVIDIA GeForce RTX 4090", "RTX 4090", 24, 0.69, 0.29),
]


class FakeRunPod:
    """The fake API server on a free loopback port; `url` is what RUNPOD_API_BASE_URL takes."""

    def __init__(self, api_key: str = "test-runpod-key") -> None:
        self.api_key = api_key
        self.gpu_types = {g["id"]: dict(g) for g in CATALOGUE}
        self.no_capacity: set[str] = set()  # GPU type ids with nothing to rent
        self.no_spot_capacity: set[str] = set()  # ... with on-demand still to rent
        self.boot_polls = 0  # pod queries a new pod answers as still booting
        self.pods: dict[str, dict[str, Any]] = {}
        self.created: list[dict[str, Any]] = []  # every deploy input, in order
        self.terminated: list[str] = []
        self.operations: list[str] = []  # root field of every request that got an answer
        self._failures: list[int] = []
        self._ids = (f"fakepod{n:06d}" for n in itertools.count(1))
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # --- scripting --------------------------------------------------------------------------

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        """The next `count` requests get an HTTP `status` with an HTML body, as a proxy sends."""
        with self._lock:
            self._failures += [status] * count

    def preempt(self, pod_id: str) -> None:
        """A spot reclaim: RunPod stops the pod; it stays listed as EXITED."""
        with self._lock:
            pod = self.pods[pod_id]
            pod.update(desiredStatus="EXITED", runtime=None,
                       lastStatusChange="Exited by RunPod: spot instance interrupted")

    def set_stock(self, gpu_id: str, available: bool, spot_only: bool = False) -> None:
        """No `gpu_id` to rent (or, `spot_only`, none as spot), or stock again."""
        with self._lock:
            empty = self.no_spot_capacity if spot_only else self.no_capacity
            (empty.discard if available else empty.add)(gpu_id)

    def live_pods(self) -> list[str]:
        with self._lock:
            return [p for p, pod in self.pods.items() if pod["desiredStatus"] != "TERMINATED"]

    # --- the server -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self, port: int = 0) -> FakeRunPod:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                fake._serve(self)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """The API becomes unreachable (connection refused) until `start(port)` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            return _answer(request, failure, b"<html><body>upstream error</body></html>",
                           "text/html")
        query_key = parse_qs(urlparse(request.path).query).get("api_key", [""])[0]
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.api_key not in (bearer, query_key):
            return _answer(request, 401, b'{"errors":[{"message":"Unauthorized"}]}')
        if urlparse(request.path).path != "/graphql":
            return _answer(request, 404, b"not found", "text/plain")
        body = json.loads(request.rfile.read(int(request.headers.get("Content-Length", 0))))
        with self._lock:
            result = graphql_sync(SCHEMA, body["query"], root_value=self._root(),
                                  variable_values=body.get("variables"))
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [e.formatted for e in result.errors]
        _answer(request, 200 if result.data is not None else 400, json.dumps(payload).encode())

    def _root(self) -> dict[str, Any]:
        return {"gpuTypes": self._gpu_types, "pod": self._pod, "myself": self._myself,
                "podFindAndDeployOnDemand": self._deploy, "podRentInterruptable": self._deploy,
                "podTerminate": self._terminate}

    # --- resolvers ----------------------------------------------------------------------------

    def _gpu_types(self, info: Any, input: dict | None = None) -> list[dict[str, Any]]:
        self.operations.append("gpuTypes")
        wanted = (input or {}).get("id")
        return [{**g, "lowestPrice": self._lowest_price(g)} for g in self.gpu_types.values()
                if wanted in (None, g["id"])]

    def _lowest_price(self, gpu: dict[str, Any]):
        def resolve(info: Any, input: dict) -> dict[str, Any]:
            if gpu["id"] in self.no_capacity:
                return {"minimumBidPrice": None, "uninterruptablePrice": None, "stockStatus": None}
            no_spot = gpu["id"] in self.no_spot_capacity
            return {"minimumBidPrice": None if no_spot else gpu["communitySpotPrice"] * input["gpuCount"],
                    "uninterruptablePrice": gpu["communityPrice"] * input["gpuCount"],
                    "stockStatus": "High"}
        return resolve

    def _pod(self, info: Any, input: dict) -> dict[str, Any] | None:
        self.operations.append("pod")
        pod = self.pods.get(input["podId"])
        if pod is None or pod["desiredStatus"] == "TERMINATED":
            return None  # RunPod forgets a terminated pod
        if pod["desiredStatus"] == "RUNNING" and pod["runtime"] is None:
            if pod["_boot_polls"] <= 0:
                pod["runtime"] = {"uptimeInSeconds": 1, "ports": []}
            pod["_boot_polls"] -= 1
        return pod

    def _myself(self, info: Any) -> dict[str, Any]:
        self.operations.append("myself")
        return {"id": "user_fake", "pods": [p for p in self.pods.values()
                                            if p["desiredStatus"] != "TERMINATED"]}

    def _deploy(self, info: Any, input: dict) -> dict[str, Any]:
        self.operations.append(info.field_name)
        gpu = self.gpu_types.get(input.get("gpuTypeId") or "")
        spot = info.field_name == "podRentInterruptable"
        if gpu is None or gpu["id"] in self.no_capacity or (spot and gpu["id"] in
                                                             self.no_spot_capacity):
            raise GraphQLError(NO_CAPACITY)
        if spot and input["bidPerGpu"] < gpu["communitySpotPrice"]:
            raise GraphQLError("Your bid price is below the minimum bid price for this GPU type.")
        pod_id = next(self._ids)
        env = [f"{e['key']}={e['value']}" for e in input.get("env") or []]
        self.created.append({"id": pod_id, "mutation": info.field_name, **input})
        self.pods[pod_id] = {
            "id": pod_id, "name": input.get("name"), "imageName": input.get("imageName"),
            "env": env, "machineId": f"machine-{pod_id}", "machine": {"podHostId": f"{pod_id}-host",
                                                                       "gpuDisplayName": gpu["displayName"]},
            "desiredStatus": "RUNNING", "lastStatusChange": "Rented by User",
            "costPerHr": (input["bidPerGpu"] if spot else gpu["securePrice"]) * (input.get("gpuCount") or 1),
            "gpuCount": input.get("gpuCount") or 1, "podType": "INTERRUPTABLE" if spot else "RESERVED",
            "runtime": None, "uptimeSeconds": 0, "_boot_polls": self.boot_polls,
        }
        return self.pods[pod_id]

    def _terminate(self, info: Any, input: dict) -> None:
        self.operations.append("podTerminate")
        pod = self.pods.get(input["podId"])
        if pod is None or pod["desiredStatus"] == "TERMINATED":
            raise GraphQLError("Pod not found.")
        pod.update(desiredStatus="TERMINATED", runtime=None)
        self.terminated.append(input["podId"])


def _answer(request: BaseHTTPRequestHandler, status: int, body: bytes,
            content_type: str = "application/json") -> None:
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)
