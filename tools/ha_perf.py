#!/usr/bin/env python3
"""What one appliance report costs inside a real Home Assistant Core.

Developer tool, not part of CI. It starts a Mosquitto on a free loopback port, a fresh
Home Assistant Core (2025.4.4, see reference/ha-addon.md §4) with the MQTT integration on
that broker, and `examples/ha_perf_feed.rs` (the simulated ThinQ cloud with every fixture
appliance, and the real bridge publishing to that broker). Then the air conditioner reports
a new room temperature, one report at a time, and the script prints:

* push → Home Assistant state: from just before the simulator sends the push (the feed's
  clock) to `time_fired` of the climate entity's `state_changed` event carrying the new
  temperature (Home Assistant's clock; same machine), p50 / p99 / max;
* MQTT messages and bytes (topic + payload) per report on the Home Assistant broker, from
  a subscriber on `<base>/#`;
* Home Assistant's CPU time per report (utime + stime of its process from /proc/<pid>/stat,
  resolution 1/CLK_TCK), raw and minus its idle rate measured just before.

Usage, with Core in a Python 3.13 venv (`pip install homeassistant==2025.4.4 'pycares<5'`):

    /tmp/ha-venv/bin/python tools/ha_perf.py [--reports 300] [--label after] \\
        [--feed 'cargo run --release --example ha_perf_feed --'] [--hass /tmp/ha-venv/bin/hass]

The feed command gets `127.0.0.1:PORT` appended. To measure another version of the bridge,
build `examples/ha_perf_feed.rs` in its tree and pass that binary as `--feed`.
"""
import argparse
import asyncio
import json
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ha_core_check import request  # noqa: E402

import aiohttp  # noqa: E402  (Home Assistant's own dependency, present in its venv)
import paho.mqtt.client as mqtt  # noqa: E402

WARMUP = 20
EVENT_TIMEOUT = 10.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port} after {timeout} s")


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Counter:
    """Every message on the Home Assistant broker under `filter`, counted as it arrives."""

    def __init__(self, port, topic_filter):
        self.lock = threading.Lock()
        self.messages = 0
        self.bytes = 0
        self.last = {}
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"perf-{os.getpid()}")
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic_filter, qos=0)
        self.client.on_message = self.on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def on_message(self, _client, _userdata, msg):
        with self.lock:
            self.messages += 1
            self.bytes += len(msg.topic.encode()) + len(msg.payload)
            self.last[msg.topic] = msg.payload

    def counts(self):
        with self.lock:
            return self.messages, self.bytes

    def payload(self, topic):
        with self.lock:
            return self.last.get(topic)

    def stop(self):
        self.client.loop_stop()
        self.client.disconnect()


def start_home_assistant(hass, config_dir, port, log):
    (config_dir / "configuration.yaml").write_text(
        "homeassistant:\n  name: perf\n  time_zone: UTC\n  unit_system: metric\n"
        "  latitude: 0\n  longitude: 0\n  elevation: 0\n"
        f"http:\n  server_host: 127.0.0.1\n  server_port: {port}\n"
        "logger:\n  default: warning\n"
    )
    return subprocess.Popen([hass, "-c", str(config_dir)], stdout=log, stderr=subprocess.STDOUT)


def onboard(base, broker_port, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            request(base + "/api/onboarding")
            break
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise SystemExit(f"Home Assistant did not answer within {timeout} s")
            time.sleep(1)
    client_id = base + "/"
    code = request(base + "/api/onboarding/users", {
        "client_id": client_id, "name": "Perf", "username": "perf",
        "password": "perf-password-123", "language": "en",
    })["auth_code"]
    token = request(base + "/auth/token", {
        "grant_type": "authorization_code", "code": code, "client_id": client_id,
    }, form=True)["access_token"]
    flow = request(base + "/api/config/config_entries/flow",
                   {"handler": "mqtt", "show_advanced_options": False}, token)
    result = request(base + f"/api/config/config_entries/flow/{flow['flow_id']}",
                     {"broker": "127.0.0.1", "port": broker_port}, token)
    if result.get("type") != "create_entry":
        raise SystemExit(f"MQTT entry not created: {result}")
    return token


class Socket:
    """Home Assistant's websocket API, with the events kept in a queue."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 1
        self.events = asyncio.Queue()
        self.results = {}

    @classmethod
    async def open(cls, session, base, token):
        ws = await session.ws_connect(base.replace("http", "ws", 1) + "/api/websocket")
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": token})
        if (await ws.receive_json()).get("type") != "auth_ok":
            raise SystemExit("websocket auth failed")
        self = cls(ws)
        self.reader = asyncio.create_task(self.read())
        return self

    async def read(self):
        async for msg in self.ws:
            data = json.loads(msg.data)
            if data.get("type") == "event":
                await self.events.put(data["event"])
            elif data.get("type") == "result":
                self.results[data["id"]].set_result(data)

    async def call(self, payload):
        ident = self.next_id
        self.next_id += 1
        self.results[ident] = asyncio.get_running_loop().create_future()
        await self.ws.send_json({"id": ident, **payload})
        return await asyncio.wait_for(self.results[ident], 30)


async def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


def write_states(path, base, token):
    """Every entity's state and attributes, without timestamps, to compare two versions."""
    keep = ("entity_id", "state", "attributes")
    states = sorted((
        {k: s[k] for k in keep} for s in request(base + "/api/states", token=token)
    ), key=lambda s: s["entity_id"])
    Path(path).write_text("".join(json.dumps(s, sort_keys=True) + "\n" for s in states))


async def measure(args, base, token, broker_port, hass_pid):
    counter = Counter(broker_port, f"{args.base_topic}/#")
    feed = await asyncio.create_subprocess_exec(
        *shlex.split(args.feed), f"127.0.0.1:{broker_port}",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    try:
        ready = (await asyncio.wait_for(feed.stdout.readline(), 600)).decode().split()
        if ready[:1] != ["ready"]:
            raise SystemExit(f"feed said {ready}")
        ac = ready[1]
        object_id = "".join(c if c.isalnum() or c in "_-" else "_" for c in ac)

        async def push_up():
            raw = counter.payload(f"{args.base_topic}/bridge/state")
            return raw and json.loads(raw).get("lg_push") == "ON"
        await wait_until(push_up, 120, "the bridge's LG push session")

        async def cost(send, values, settle=None):
            """Sends `values`; Home Assistant's CPU and the broker's traffic meanwhile."""
            await asyncio.sleep(1)
            # Home Assistant's own background work, measured while nothing happens.
            idle_from, idle_cpu = time.monotonic(), cpu_seconds(hass_pid)
            await asyncio.sleep(args.idle)
            idle_rate = (cpu_seconds(hass_pid) - idle_cpu) / (time.monotonic() - idle_from)
            began, cpu_began = time.monotonic(), cpu_seconds(hass_pid)
            messages_began, bytes_began = counter.counts()
            results = [await send(v) for v in values]
            if settle:
                await settle()
            await asyncio.sleep(0.5)  # what is still in flight is counted, then nothing more
            cpu = cpu_seconds(hass_pid) - cpu_began
            elapsed = time.monotonic() - began
            messages, size = counter.counts()
            n = len(values)
            return {
                "results": results,
                "messages_per_report": (messages - messages_began) / n,
                "bytes_per_report": (size - bytes_began) / n,
                "cpu_ms_per_report": cpu * 1000 / n,
                "cpu_ms_per_report_net": max(0.0, cpu - idle_rate * elapsed) * 1000 / n,
                "idle_cpu_ms_per_s": idle_rate * 1000,
            }

        async with aiohttp.ClientSession() as session:
            ws = await Socket.open(session, base, token)

            async def climate_entity():
                reply = await ws.call({"type": "config/entity_registry/list"})
                unique = f"thinq_{object_id}_climate"
                return next((e["entity_id"] for e in reply["result"] if e["unique_id"] == unique), None)
            entity = await wait_until(climate_entity, 120, "the air conditioner's climate entity")

            async def has_temperature():
                state = request(base + f"/api/states/{entity}", token=token)
                return state["attributes"].get("current_temperature") is not None
            await wait_until(has_temperature, 60, f"a current temperature on {entity}")
            await ws.call({"type": "subscribe_events", "event_type": "state_changed"})

            async def report(celsius):
                feed.stdin.write(f"report {celsius}\n".encode())
                await feed.stdin.drain()
                sent = (await asyncio.wait_for(feed.stdout.readline(), 10)).decode().split()
                if sent[:2] != ["sent", str(celsius)]:
                    raise SystemExit(f"feed said {sent}")
                deadline = time.monotonic() + EVENT_TIMEOUT
                while True:
                    event = await asyncio.wait_for(ws.events.get(), max(0.01, deadline - time.monotonic()))
                    new = (event["data"].get("new_state") or {})
                    if (event["data"].get("entity_id") == entity
                            and new.get("attributes", {}).get("current_temperature") == float(celsius)):
                        fired = datetime.fromisoformat(event["time_fired"]).timestamp()
                        return fired - int(sent[2]) / 1e9

            values = [18 + i % 10 for i in range(WARMUP + args.reports)]
            for celsius in values[:WARMUP]:
                await report(celsius)
            # 1. Latency: one report at a time, each waited for in Home Assistant.
            watched = await cost(report, values[WARMUP:])
            latencies = watched.pop("results")
            ws.reader.cancel()
            await ws.ws.close()

        # 2. Cost, with nobody watching Home Assistant's events (a websocket client that
        # subscribes to every state_changed costs Home Assistant work of its own): reports
        # every `--interval` ms, the last one checked in Home Assistant's state at the end.
        async def paced(celsius):
            feed.stdin.write(f"report {celsius}\n".encode())
            await feed.stdin.drain()
            await asyncio.wait_for(feed.stdout.readline(), 10)
            await asyncio.sleep(args.interval / 1000)

        # Temperatures phase 1 never sent, so the last one is known to be new when it shows.
        unwatched_values = [28 + i % 10 for i in range(args.reports)]

        async def last_shown():
            state = request(base + f"/api/states/{entity}", token=token)
            return state["attributes"].get("current_temperature") == float(unwatched_values[-1])
        unwatched = await cost(paced, unwatched_values,
                               lambda: wait_until(last_shown, 30, "the last report"))
        unwatched.pop("results")
        if args.states:
            write_states(args.states, base, token)
    finally:
        if feed.returncode is None:
            feed.stdin.write(b"quit\n")
            try:
                await asyncio.wait_for(feed.wait(), 15)
            except asyncio.TimeoutError:
                feed.kill()
        counter.stop()
    n = len(latencies)
    ms = sorted(x * 1000 for x in latencies)
    return {
        "label": args.label, "reports": n,
        "p50_ms": statistics.median(ms), "p99_ms": ms[min(n - 1, int(n * 0.99))], "max_ms": ms[-1],
        "watched": watched, "unwatched": unwatched, "clk_tck": os.sysconf("SC_CLK_TCK"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--label", default="")
    parser.add_argument("--feed", default="cargo run --release --example ha_perf_feed --")
    parser.add_argument("--hass", default=str(Path(sys.executable).with_name("hass")))
    parser.add_argument("--mosquitto", default="/usr/sbin/mosquitto")
    parser.add_argument("--base-topic", default="thinq")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of idle CPU baseline")
    parser.add_argument("--interval", type=float, default=5.0, help="ms between unwatched reports")
    parser.add_argument("--states", help="write every entity's state here at the end (JSON lines)")
    parser.add_argument("--startup-timeout", type=float, default=900.0)
    args = parser.parse_args()
    if args.reports < 1:
        parser.error("--reports must be at least 1")

    with tempfile.TemporaryDirectory(prefix="ha-perf-") as tmp:
        tmp = Path(tmp)
        broker_port, ha_port = free_port(), free_port()
        (tmp / "mosquitto.conf").write_text(
            f"listener {broker_port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        log = open(tmp / "processes.log", "w")
        broker = subprocess.Popen([args.mosquitto, "-c", str(tmp / "mosquitto.conf")],
                                  stdout=log, stderr=subprocess.STDOUT)
        config = tmp / "config"
        config.mkdir()
        hass = None
        try:
            wait_port(broker_port, 10)
            hass = start_home_assistant(args.hass, config, ha_port, log)
            base = f"http://127.0.0.1:{ha_port}"
            token = onboard(base, broker_port, args.startup_timeout)
            result = asyncio.run(measure(args, base, token, broker_port, hass.pid))
        except BaseException:
            log.flush()
            sys.stderr.write((tmp / "processes.log").read_text()[-4000:])
            raise
        finally:
            for process in (hass, broker):
                if process and process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        process.wait(30)
                    except subprocess.TimeoutExpired:
                        process.kill()
    print(json.dumps(result))
    print(f"{args.label or 'run'}: {result['reports']} single-value reports (AC room temperature) per phase")
    print(f"  push -> HA state     p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms  max {result['max_ms']:.2f} ms")
    for phase, what in (("unwatched", "nobody watching"), ("watched", "websocket on state_changed")):
        r = result[phase]
        print(f"  {what:<27} {r['messages_per_report']:.2f} MQTT messages, {r['bytes_per_report']:.0f} bytes per report;"
              f" HA CPU {r['cpu_ms_per_report']:.3f} ms per report"
              f" ({r['cpu_ms_per_report_net']:.3f} ms minus idle {r['idle_cpu_ms_per_s']:.1f} ms/s)")


if __name__ == "__main__":
    main()
