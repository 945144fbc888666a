"""A FAKE of RunPod's GraphQL API, for tests only: the one outside service we cannot reach.

It speaks the wire protocol the `runpod` SDK uses: `POST <base>/graphql` with a JSON body
`{"query": ...}` and `Authorization: Bearer <key>` (or RunPod's `?api_key=`), answered with
`{"data": ...}` or `{"data": ..., "errors": [{"message": ...}]}`. Queries are parsed, validated and
executed by graphql-core against the part of RunPod's schema we use (pods, GPU types), so a field
or argument RunPod does not have fails here as it would there.

Scriptable: `set_stock()` (nothing to rent, in any of RunPod's wordings, CAPACITY_ERRORS;
spot alone or both), `boot_polls` (a pod stays booting for N polls), `restart()` (RunPod restarts
the container: runtime reads null again), `preempt()` (a spot pod goes EXITED), `fail_next()`
(HTTP 5xx), `fail_after_create()` (the pod is made, the answer is an error: an orphan), `stop()`
(unreachable). As RunPod does, every pod gets RUNPOD_POD_ID and a RUNPOD_API_KEY scoped to that
pod alone in its environment (`pod_env()`). `created` and `terminated` record what the code
under test asked for.
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
# The wordings RunPod answers "nothing to rent" with, as its users have reported them.
CAPACITY_ERRORS = (
    NO_CAPACITY,
    "There are no longer any instances available with the request specifications. Please try "
    "again later.",
    "There are no longer any instances available with enough disk space.",
    "This machine does not have the resources to deploy your pod. Please try a different machine.",
    "create pod: There are no instances currently available",
)
SOMETHING_WENT_WRONG = "Something went wrong. Please try again later or contact support."
_POD_INPUT = """
  name: String, imageName: String, cloudType: CloudTypeEnum, startSsh: Boolean,
  startJupyter: Boolean, gpuTypeId: String, supportPublicIp: Boolean, gpuCount: Int,
  volumeInGb: Int, containerDiskInGb: Int, minVcpuCount: Int, minMemoryInGb: Int,
  allowedCudaVersions: [String], dataCenterId: String, countryCode: String, dockerArgs: String,
  ports: String, volumeMountPath: String, env: [EnvironmentVariableInput], templateId: String,
  networkVolumeId: String, minDownload: Int, minUpload: Int, instanceId: String,
  containerRegistryAuthId: String
"""
SCHEMA = build_schema(f"""
scalar Void
enum CloudTypeEnum {{ ALL SECURE COMMUNITY }}
enum PodStatus {{ CREATED RUNNING RESTARTING EXITED PAUSED DEAD TERMINATED }}
input EnvironmentVariableInput {{ key: String!, value: String! }}
input GpuTypeFilter {{ id: String }}
input LowestPriceInput {{ gpuCount: Int!, secureCloud: Boolean }}
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
        self.no_capacity: dict[str, str] = {}  # GPU type id with nothing to rent -> the error
        self.no_spot_capacity: dict[str, str] = {}  # ... with on-demand still to rent
        self.pod_keys: dict[str, str] = {}  # a pod's own RUNPOD_API_KEY -> its pod id
        self._orphans = 0  # deploys still to answer with an error after making the pod
        # The CUDA versions of the hosts' drivers: allowedCudaVersions picks among them.
        self.host_cuda_versions = {"12.4", "12.8"}
        # Images only a registry credential pulls (name -> its containerRegistryAuthId): a pod
        # of one without it never boots, as its image pull fails.
        self.private_images: dict[str, str] = {}
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

    def set_stock(self, gpu_id: str, available: bool, spot_only: bool = False,
                  wording: str = NO_CAPACITY) -> None:
        """No `gpu_id` to rent (or, `spot_only`, none as spot), or stock again."""
        with self._lock:
            empty = self.no_spot_capacity if spot_only else self.no_capacity
            if available:
                empty.pop(gpu_id, None)
            else:
                empty[gpu_id] = wording

    def restart(self, pod_id: str, boot_polls: int = 0) -> None:
        """The container's process exited and RunPod starts it again: the pod stays RUNNING,
        its runtime reads null until the container is up (after `boot_polls` pod queries)."""
        with self._lock:
            self.pods[pod_id].update(runtime=None, _boot_polls=boot_polls,
                                     lastStatusChange="Restarted by RunPod: container exited")

    def fail_after_create(self, count: int = 1) -> None:
        """The next `count` deploys make their pod, then answer with RunPod's generic error."""
        with self._lock:
            self._orphans += count

    def pod_env(self, pod_id: str) -> dict[str, str]:
        """The environment the pod's container sees, RunPod's own variables included."""
        with self._lock:
            return dict(item.split("=", 1) for item in self.pods[pod_id]["env"])

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
        key = bearer or query_key
        if key != self.api_key and key not in self.pod_keys:
            return _answer(request, 401, b'{"errors":[{"message":"Unauthorized"}]}')
        if urlparse(request.path).path != "/graphql":
            return _answer(request, 404, b"not found", "text/plain")
        body = json.loads(request.rfile.read(int(request.headers.get("Content-Length", 0))))
        with self._lock:
            result = graphql_sync(SCHEMA, body["query"], root_value=self._root(),
                                  variable_values=body.get("variables"),
                                  context_value={"pod_scope": self.pod_keys.get(key)})
        payload: dict[str, Any] = {"data": result.data}
        if result.errors:
            payload["errors"] = [e.formatted for e in result.errors]
        _answer(request, 200 if result.data is not None else 400, json.dumps(payload).encode())

    def _root(self) -> dict[str, Any]:
        return {"gpuTypes": self._gpu_types, "pod": self._pod, "myself": self._myself,
                "podFindAndDeployOnDemand": self._deploy, "podRentInterruptable": self._deploy,
                "podTerminate": self._terminate}

    # --- resolvers ----------------------------------------------------------------------------

    @staticmethod
    def _scoped(info: Any, pod_id: str | None = None) -> None:
        """A pod's own key may query and end that pod, and nothing else."""
        scope = info.context["pod_scope"]
        if scope is not None and scope != pod_id:
            raise GraphQLError("Unauthorized: this API key is scoped to another pod.")

    def _gpu_types(self, info: Any, input: dict | None = None) -> list[dict[str, Any]]:
        self._scoped(info)
        self.operations.append("gpuTypes")
        wanted = (input or {}).get("id")
        return [{**g, "lowestPrice": self._lowest_price(g)} for g in self.gpu_types.values()
                if wanted in (None, g["id"])]

    def _lowest_price(self, gpu: dict[str, Any]):
        def resolve(info: Any, input: dict) -> dict[str, Any]:
            if gpu["id"] in self.no_capacity:
                return {"minimumBidPrice": None, "uninterruptablePrice": None, "stockStatus": None}
            no_spot = gpu["id"] in self.no_spot_capacity
            bid = _spot_price(gpu, "SECURE" if input.get("secureCloud") else "COMMUNITY")
            return {"minimumBidPrice": None if no_spot else bid * input["gpuCount"],
                    "uninterruptablePrice": gpu["communityPrice"] * input["gpuCount"],
                    "stockStatus": "High"}
        return resolve

    def _pod(self, info: Any, input: dict) -> dict[str, Any] | None:
        self._scoped(info, input["podId"])
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
        self._scoped(info)
        self.operations.append("myself")
        return {"id": "user_fake", "pods": [p for p in self.pods.values()
                                            if p["desiredStatus"] != "TERMINATED"]}

    def _deploy(self, info: Any, input: dict) -> dict[str, Any]:
        self._scoped(info)
        self.operations.append(info.field_name)
        gpu = self.gpu_types.get(input.get("gpuTypeId") or "")
        spot = info.field_name == "podRentInterruptable"
        if gpu is None:
            raise GraphQLError(NO_CAPACITY)
        if gpu["id"] in self.no_capacity:
            raise GraphQLError(self.no_capacity[gpu["id"]])
        if spot and gpu["id"] in self.no_spot_capacity:
            raise GraphQLError(self.no_spot_capacity[gpu["id"]])
        allowed = input.get("allowedCudaVersions")
        if allowed is not None and not self.host_cuda_versions & set(allowed):
            raise GraphQLError(NO_CAPACITY)  # no host whose driver the image can use
        needs = self.private_images.get(input.get("imageName") or "")
        pulls = needs is None or needs == input.get("containerRegistryAuthId")
        if spot and input["bidPerGpu"] < _spot_price(gpu, input.get("cloudType") or "ALL"):
            raise GraphQLError("Your bid price is below the minimum bid price for this GPU type.")
        pod_id, pod_key = next(self._ids), f"pod-key-{len(self.pod_keys) + 1}"
        self.pod_keys[pod_key] = pod_id
        env = [f"{e['key']}={e['value']}" for e in input.get("env") or []]
        env += [f"RUNPOD_POD_ID={pod_id}", f"RUNPOD_API_KEY={pod_key}"]
        self.created.append({"id": pod_id, "mutation": info.field_name, **input})
        self.pods[pod_id] = {
            "id": pod_id, "name": input.get("name"), "imageName": input.get("imageName"),
            "env": env, "machineId": f"machine-{pod_id}", "machine": {"podHostId": f"{pod_id}-host",
                                                                       "gpuDisplayName": gpu["displayName"]},
            "desiredStatus": "RUNNING",
            "costPerHr": (input["bidPerGpu"] if spot else gpu["securePrice"]) * (input.get("gpuCount") or 1),
            "gpuCount": input.get("gpuCount") or 1, "podType": "INTERRUPTABLE" if spot else "RESERVED",
            "runtime": None, "uptimeSeconds": 0,
            "_boot_polls": self.boot_polls if pulls else 10**9,
            "lastStatusChange": "Rented by User" if pulls else "image pull: unauthorized",
        }
        if self._orphans:
            self._orphans -= 1
            raise GraphQLError(SOMETHING_WENT_WRONG)
        return self.pods[pod_id]

    def _terminate(self, info: Any, input: dict) -> None:
        self._scoped(info, input["podId"])
        self.operations.append("podTerminate")
        pod = self.pods.get(input["podId"])
        if pod is None or pod["desiredStatus"] == "TERMINATED":
            raise GraphQLError("Pod not found.")
        pod.update(desiredStatus="TERMINATED", runtime=None)
        self.terminated.append(input["podId"])


def _spot_price(gpu: dict[str, Any], cloud: str) -> float:
    """The minimum bid where the pod rents: Secure Cloud's is higher; any cloud bids as
    Community, where RunPod's spot capacity is."""
    return gpu["secureSpotPrice"] if cloud == "SECURE" else gpu["communitySpotPrice"]


def _answer(request: BaseHTTPRequestHandler, status: int, body: bytes,
            content_type: str = "application/json") -> None:
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)
