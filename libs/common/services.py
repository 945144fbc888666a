"""The platform's services: what `brightrun up` starts and the gateway's /readyz asks after."""

SERVICES = ["jobs", "provisioning", "monitoring", "cost", "notification", "packaging",
            "validation"]


def ping_subject(service: str) -> str:
    """Each service answers "pong" here when ready, or "not ready: <why>" (libs/common/runtime)."""
    return f"rpc.{service}.ping"
