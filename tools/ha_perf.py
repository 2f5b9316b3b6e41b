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

Where the CPU goes, and how low it can go (BENCHMARKS.md section 6):

* `--floor`: afterwards, the same kind of message sent by this script instead of the bridge
  (on the air conditioner's own topic, retained QoS 1, then QoS 0, then "41.00" for "41"),
  on a climate with only a current-temperature topic, and on a plain MQTT sensor (the
  cheapest entity update over MQTT), each timed like the unwatched phase; then Home
  Assistant's in-process costs per write (`tools/ha_perf_probe`, loaded only with --floor).
* `--profile DIR`: `py-spy record` (`--py-spy`, default next to the venv's python; `pip
  install py-spy` there) on Home Assistant during each unwatched phase; prints the event
  loop's Python work by layer (`tools/ha_perf_profile.py`). Sampling makes that run's CPU
  figures high: take CPU figures from runs without it.
"""
import argparse
import asyncio
import json
import os
import shutil
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
from ha_perf_profile import Profiler, print_summary  # noqa: E402

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


def cpu_times(pid):
    """(utime, stime) of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / os.sysconf("SC_CLK_TCK"), int(fields[12]) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    return sum(cpu_times(pid))


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


def start_home_assistant(hass, config_dir, port, log, probe):
    """Core with only what it always loads and the MQTT entry (made by `onboard`); with
    `probe`, also `tools/ha_perf_probe` (in-process timings for `--floor`, idle otherwise)."""
    (config_dir / "configuration.yaml").write_text(
        "homeassistant:\n  name: perf\n  time_zone: UTC\n  unit_system: metric\n"
        "  latitude: 0\n  longitude: 0\n  elevation: 0\n"
        f"http:\n  server_host: 127.0.0.1\n  server_port: {port}\n"
        "logger:\n  default: warning\n"
        + ("perf_probe:\n" if probe else "")
    )
    if probe:
        shutil.copytree(Path(__file__).resolve().parent / "ha_perf_probe",
                        config_dir / "custom_components" / "perf_probe",
                        ignore=shutil.ignore_patterns("__pycache__"))
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


async def floors(args, base, token, counter, cost, climate, ac):
    """What the same kind of report costs Home Assistant without our bridge in the way.

    The script's own MQTT client publishes, at the unwatched phase's cadence: on the air
    conditioner's current-temperature topic as the bridge does (retained, QoS 1), then with
    QoS 0 and no retain flag, then with two decimals; then on a climate that has nothing but
    a current-temperature topic, and on a plain MQTT sensor with a plain state topic (the
    cheapest entity update MQTT offers). Last, the in-process probe (`ha_perf_probe`) times
    Home Assistant's own work per write without a socket."""
    client = counter.client
    topic = f"{args.base_topic}/{ac}/climate/current_temperature"
    if counter.payload(topic) is None:
        topic = None  # a bridge from before one topic per value: no replay

    def state(entity_id):
        try:
            return request(base + f"/api/states/{entity_id}", token=token)
        except urllib.error.HTTPError:
            return None

    async def phase(name, entity_id, publish_topic, form, qos, retain, shown):
        values = [40 + i % 10 for i in range(args.reports)]

        async def send(value):
            client.publish(publish_topic, form(value), qos=qos, retain=retain)
            await asyncio.sleep(args.interval / 1000)

        async def last_shown():
            current = state(entity_id)
            return current and shown(current) == float(values[-1])
        result = await cost(send, values, lambda: wait_until(last_shown, 30, f"{name}'s last"),
                            profile=name)
        result.pop("results")
        return result

    def temperature(s):
        return s["attributes"].get("current_temperature")

    def sensor_value(s):
        try:
            return float(s["state"])
        except ValueError:
            return None

    out = {}
    if topic:
        out["replay"] = await phase("replay", climate, topic, str, 1, True, temperature)
        out["replay_qos0"] = await phase("replay_qos0", climate, topic, str, 0, False,
                                         temperature)
        out["replay_decimals"] = await phase("replay_decimals", climate, topic,
                                             lambda v: f"{v:.2f}", 1, True, temperature)
    for kind, key, config in (
        ("climate", "climate_minimal", {"curr_temp_t": "perf/climate/current"}),
        ("sensor", "sensor_plain", {"stat_t": "perf/sensor/state"}),
    ):
        entity_id = f"{kind}.perf_{key}"
        client.publish(f"homeassistant/{kind}/perf_{key}/config", json.dumps({
            "name": None, "uniq_id": f"perf_{key}", "object_id": f"perf_{key}",
            "dev": {"ids": [f"perf_{key}"], "name": f"perf {key}"}, **config,
        }), qos=1)

        async def exists():
            return state(entity_id)
        await wait_until(exists, 60, entity_id)
        out[key] = await phase(key, entity_id, next(iter(config.values())), str, 0, False,
                               temperature if kind == "climate" else sensor_value)
    out["in_process_us"] = request(
        base + "/api/services/perf_probe/measure?return_response",
        {"entity_id": climate, "topic": topic or "", "n": args.reports}, token)["service_response"]
    return out


def write_states(path, base, token):
    """Every entity's state and attributes, without timestamps, to compare two versions."""
    keep = ("entity_id", "state", "attributes")
    states = sorted((
        {k: s[k] for k in keep} for s in request(base + "/api/states", token=token)
    ), key=lambda s: s["entity_id"])
    Path(path).write_text("".join(json.dumps(s, sort_keys=True) + "\n" for s in states))


async def measure(args, base, token, broker_port, hass_pid):
    counter = Counter(broker_port, f"{args.base_topic}/#")
    profiles, floor = {}, None
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

        async def cost(send, values, settle=None, profile=None):
            """Sends `values`; Home Assistant's CPU and the broker's traffic meanwhile.
            With `--profile`, `profile` names the py-spy record of this phase."""
            await asyncio.sleep(1)
            # Home Assistant's own background work, measured while nothing happens.
            idle_from, idle_cpu = time.monotonic(), cpu_seconds(hass_pid)
            await asyncio.sleep(args.idle)
            idle_rate = (cpu_seconds(hass_pid) - idle_cpu) / (time.monotonic() - idle_from)
            profiler = None
            if args.profile and profile:
                profiler = Profiler(args.py_spy, hass_pid, Path(args.profile) / f"{profile}.txt",
                                    args.profile_rate).__enter__()
            began, (user_began, system_began) = time.monotonic(), cpu_times(hass_pid)
            cpu_began = user_began + system_began
            messages_began, bytes_began = counter.counts()
            results = [await send(v) for v in values]
            if settle:
                await settle()
            await asyncio.sleep(0.5)  # what is still in flight is counted, then nothing more
            user, system = cpu_times(hass_pid)
            cpu = user + system - cpu_began
            elapsed = time.monotonic() - began
            if profiler:
                profiler.__exit__()
            messages, size = counter.counts()
            n = len(values)
            if profiler:
                profiles[profile] = profiler.summary((user - user_began) * 1000 / n)
            return {
                "results": results,
                "messages_per_report": (messages - messages_began) / n,
                "bytes_per_report": (size - bytes_began) / n,
                "cpu_ms_per_report": cpu * 1000 / n,
                "user_ms_per_report": (user - user_began) * 1000 / n,
                "system_ms_per_report": (system - system_began) * 1000 / n,
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
                               lambda: wait_until(last_shown, 30, "the last report"),
                               profile="bridge")
        unwatched.pop("results")
        if args.floor:
            floor = await floors(args, base, token, counter, cost, entity, ac)
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
        "floor": floor, "profiles": profiles, "loadavg": os.getloadavg(),
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
    parser.add_argument("--floor", action="store_true",
                        help="then measure what Home Assistant spends on the same reports sent "
                             "without the bridge, on a minimal climate and on a plain sensor, "
                             "and in process (see floors())")
    parser.add_argument("--profile", metavar="DIR",
                        help="record Home Assistant with py-spy during each unwatched phase, "
                             "raw stacks into DIR, and print where its CPU went (this makes "
                             "the CPU figures of that run a little high)")
    parser.add_argument("--profile-rate", type=int, default=1000,
                        help="py-spy samples per second (with --gil it keeps far fewer)")
    parser.add_argument("--py-spy", default=str(Path(sys.executable).with_name("py-spy")))
    parser.add_argument("--startup-timeout", type=float, default=900.0)
    args = parser.parse_args()
    if args.reports < 1:
        parser.error("--reports must be at least 1")
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)

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
            hass = start_home_assistant(args.hass, config, ha_port, log, args.floor)
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
              f" (user {r['user_ms_per_report']:.3f}, system {r['system_ms_per_report']:.3f})"
              f" ({r['cpu_ms_per_report_net']:.3f} ms minus idle {r['idle_cpu_ms_per_s']:.1f} ms/s)")
    for name, r in (result["floor"] or {}).items():
        if name == "in_process_us":
            print("  in process, CPU per call: " + ", ".join(
                f"{k.removesuffix('_us')} {v / 1000:.3f} ms" for k, v in r.items()))
        else:
            print(f"  floor {name:<21} HA CPU {r['cpu_ms_per_report']:.3f} ms per message"
                  f" (user {r['user_ms_per_report']:.3f}, system {r['system_ms_per_report']:.3f})"
                  f" ({r['cpu_ms_per_report_net']:.3f} ms minus idle {r['idle_cpu_ms_per_s']:.1f} ms/s)")
    for name, summary in result["profiles"].items():
        print_summary(name, summary)


if __name__ == "__main__":
    main()
