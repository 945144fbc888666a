"""Alert latency: from publishing the triggering event to the email reaching an SMTP server and
the Slack message reaching its webhook (issue 5 closing figure; UJ5.1.2 wants < 60 s).

Starts embedded NATS and PostgreSQL, a real SMTP server (aiosmtpd) and a Slack-style HTTP
receiver on loopback, and the notification service in this process; then publishes job
completions one at a time (as a bus publisher would: JetStream, `Nats-Msg-Id`) and times each.

    python benchmarks/notification_latency.py [--events 50] [--interval-s 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the loopback receivers the tests use

from notification_receivers import SlackReceiver, SmtpReceiver  # noqa: E402

from libs.common.bus import ensure_streams, make_broker, publish_event  # noqa: E402
from libs.common.embedded.nats import EmbeddedNats  # noqa: E402
from libs.common.embedded.postgres import EmbeddedPostgres  # noqa: E402
from libs.common.settings import Settings  # noqa: E402
from proto.jobs import JobStatusChanged  # noqa: E402
from proto.notification import NotificationPreferences, SetNotificationPreferences  # noqa: E402
from services.notification.app import build  # noqa: E402
from services.notification.domain import notification_id  # noqa: E402


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def measure(settings: Settings, smtp: SmtpReceiver, slack: SlackReceiver, events: int,
                  interval_s: float) -> dict[str, list[float]]:
    from libs.common.bus import call

    runtime = build(settings)
    await runtime.start()
    broker = make_broker(settings.nats_url, "benchmark")
    await broker.connect()
    await ensure_streams(broker)
    await call(broker, SetNotificationPreferences(preferences=NotificationPreferences(
        email_to="ops@example.com", slack_webhook_url=slack.url)))
    sent: dict[str, tuple[str, float]] = {}  # notification id → (channel, publish time)
    try:
        for _ in range(events):
            event = JobStatusChanged(job_id=uuid.uuid4(), status="completed", previous="finalizing")
            for channel in ("email", "slack"):
                sent[str(notification_id(event.event_id, channel))] = (channel, time.monotonic())
            await publish_event(broker, event)
            await asyncio.sleep(interval_s)
        for _ in range(1200):  # up to 60 s for the last deliveries to land
            if len(smtp.received) >= events and len(slack.received) >= events:
                break
            await asyncio.sleep(0.05)
    finally:
        await broker.stop()
        await runtime.stop()
    return latencies(sent, smtp, slack)


def latencies(sent: dict[str, tuple[str, float]], smtp: SmtpReceiver, slack: SlackReceiver
              ) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {"email": [], "slack": []}
    for at, message in smtp.received:
        found["email"].append(at - sent[message["X-Brightrun-Notification-Id"]][1])
    for at, payload in slack.received:
        nid = payload["blocks"][-1]["elements"][0]["text"].rsplit(" ", 1)[-1]
        found["slack"].append(at - sent[nid][1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--interval-s", type=float, default=0.1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="notification-latency-"))
    postgres, nats = EmbeddedPostgres(work / "pg", durable=False), EmbeddedNats(work / "nats")
    smtp, slack = SmtpReceiver().start(), SlackReceiver().start()
    postgres.start()
    nats.start()
    try:
        settings = Settings(state_dir=str(work / "state"), nats_url=nats.url,
                            database_url=postgres.url, smtp_host="127.0.0.1", smtp_port=smtp.port,
                            slack_webhook_hosts="http://127.0.0.1",  # the loopback receiver
                            log_level="WARNING")
        found = asyncio.run(measure(settings, smtp, slack, args.events, args.interval_s))
    finally:
        smtp.stop()
        slack.stop()
        nats.stop()
        postgres.stop()
    print(f"{args.events} job completions, one every {args.interval_s * 1000:.0f} ms; "
          f"latency from event publish to receipt:")
    for channel, values in found.items():
        ms = [v * 1000 for v in values]
        print(f"  {channel:5}  received {len(ms)}/{args.events}  p50 {statistics.median(ms):7.1f} ms"
              f"  p99 {percentile(ms, 99):7.1f} ms  max {max(ms):7.1f} ms")


if __name__ == "__main__":
    main()
