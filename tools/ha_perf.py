#!/usr/bin/env python3
"""What one appliance report costs inside a real Home Assistant Core, ours and lg_thinq's.

Developer tool, not part of CI. It starts a Mosquitto on a free loopback port,
`examples/ha_perf_feed.rs` (the simulated ThinQ cloud with every fixture appliance, and the
real bridge publishing to that broker) and a fresh Home Assistant Core (any release from
2025.4.4 on, see `ha_harness.py`) with the MQTT integration on that broker and the recorder
on, as in every default install. Then the air conditioner reports a new room temperature (as
a real one does: °C, °F and the older `temperature` resource), one report at a time, and the
script prints, per report:

* push → Home Assistant state: from just before the simulator sends the push (the feed's
  clock) to `time_fired` of the climate entity's `state_changed` event carrying the new
  temperature (Home Assistant's clock; same machine), p50 / p99 / max;
* MQTT messages and bytes (topic + payload) on the Home Assistant broker, from a subscriber
  on `#`, and the topics they went to;
* Home Assistant's CPU: utime + stime of its process (every thread: event loop, recorder,
  awscrt) from /proc/<pid>/stat over the phase, less its idle rate over the same wall time.

A phase: Home Assistant left quiet (`--quiet` s), its idle rate measured (`--idle` s), then
`--reports` reports `--interval` ms apart, each waited for in Home Assistant's events, then
`--tail` s for deferred work (the recorder commits every 5 s), all of it counted; then the
idle rate again, and the lower of the two is subtracted (a burst of Home Assistant's own in
one window is not its idle rate). The JSON line holds every latency, to pool runs.

With `--peer lg_thinq`, the same phase follows for Home Assistant's own LG integration in
the same Home Assistant, against the same simulated cloud, with the same token and the same
reports: the bridge is stopped (so its pushes go to nobody), `lg_thinq` is set up through its
config flow, pointed at the simulator by `ha_perf_redirect/` (needs `thinqconnect` in the
venv: `pip install thinqconnect==1.0.14` for 2026.11), and its climate entity is timed.

Usage (`--hass` defaults to the `hass` beside this Python):

    cargo build --release --example ha_perf_feed
    /tmp/ha-venv-current/bin/python tools/ha_perf.py --peer lg_thinq \\
        --feed target/release/examples/ha_perf_feed

The feed command gets `127.0.0.1:PORT` appended. To measure another version of the bridge,
build `examples/ha_perf_feed.rs` in its tree and pass that binary as `--feed`.

Where the CPU goes, and how low it can go (BENCHMARKS.md section 6):

* `--floor`: afterwards, the same kind of message sent by this script instead of the bridge
  (on the air conditioner's own topic, retained QoS 1, then QoS 0), on a climate with only a
  current-temperature topic, and on a plain MQTT sensor (the cheapest entity update over
  MQTT), each timed like the bridge; then Home Assistant's in-process costs per write
  (`tools/ha_perf_probe`, loaded only with --floor). See `ha_perf_floor.py`.
* `--profile DIR`: `py-spy record` (`--py-spy`, default next to the venv's python; `pip
  install py-spy` there) on Home Assistant during each phase; prints the event loop's
  Python work by layer (`tools/ha_perf_profile.py`). Sampling makes that run's CPU figures
  high: take CPU figures from runs without it.
"""
import argparse
import asyncio
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter as Tally
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ha_harness as harness  # noqa: E402
import ha_perf_floor  # noqa: E402
import ha_perf_peer  # noqa: E402
from ha_harness import Socket, free_port, request  # noqa: E402
from ha_perf_profile import Profiler, print_summary  # noqa: E402

import aiohttp  # noqa: E402  (Home Assistant's own dependency, present in its venv)
import paho.mqtt.client as mqtt  # noqa: E402

WARMUP = 20
EVENT_TIMEOUT = 10.0


def cpu_times(pid):
    """(utime, stime) of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) / os.sysconf("SC_CLK_TCK"), int(fields[12]) / os.sysconf("SC_CLK_TCK")


def run_seconds(pid):
    """CPU time of every live thread of a process (`/proc/<pid>/task/*/schedstat`), in
    seconds. The same clock as utime + stime, to the nanosecond instead of 1/CLK_TCK (10 ms
    here, as much as a few reports cost); a thread that ends is missing from the sum, so
    each phase states both figures."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # the thread ended meanwhile
    return total / 1e9


class Counter:
    """Every message on the Home Assistant broker, counted per topic as it arrives."""

    def __init__(self, port):
        self.lock = threading.Lock()
        self.topics = Tally()
        self.bytes = 0
        self.last = {}
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"perf-{os.getpid()}")
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe("#", qos=0)
        self.client.on_message = self.on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def on_message(self, _client, _userdata, msg):
        with self.lock:
            self.topics[msg.topic] += 1
            self.bytes += len(msg.topic.encode()) + len(msg.payload)
            self.last[msg.topic] = msg.payload

    def snapshot(self):
        with self.lock:
            return Tally(self.topics), self.bytes

    def payload(self, topic):
        with self.lock:
            return self.last.get(topic)

    def stop(self):
        self.client.loop_stop()
        self.client.disconnect()


class Feed:
    """`examples/ha_perf_feed.rs`: the simulated LG cloud and the bridge, driven over stdio."""

    @classmethod
    async def start(cls, command, broker_port):
        self = cls()
        self.process = await asyncio.create_subprocess_exec(
            *shlex.split(command), f"127.0.0.1:{broker_port}",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        ready = (await asyncio.wait_for(self.process.stdout.readline(), 600)).decode().split()
        if ready[:1] != ["ready"]:
            raise SystemExit(f"feed said {ready}")
        self.ac = ready[1]
        # A feed from before `--peer` names only the air conditioner.
        self.peer = dict(zip(("api_url", "ca_file", "push_port", "pat"), ready[2:]))
        return self

    async def line(self, text, timeout=10):
        self.process.stdin.write(f"{text}\n".encode())
        await self.process.stdin.drain()
        return (await asyncio.wait_for(self.process.stdout.readline(), timeout)).decode().split()

    async def report(self, celsius):
        """Unix time (s) just before the simulator sent the report."""
        sent = await self.line(f"report {celsius}")
        if sent[:2] != ["sent", str(celsius)]:
            raise SystemExit(f"feed said {sent}")
        return int(sent[2]) / 1e9

    async def bridge_off(self):
        if await self.line("bridge off", 30) != ["bridge", "off"]:
            raise SystemExit("this feed cannot stop its bridge: build it from this tree")

    async def quit(self):
        if self.process.returncode is None:
            self.process.stdin.write(b"quit\n")
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except asyncio.TimeoutError:
                self.process.kill()


async def wait_until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


def current_temperature(state):
    return state.get("attributes", {}).get("current_temperature")


class Bench:
    """One Home Assistant, its broker's traffic and its events, and the phases run in it."""

    def __init__(self, args, hass_pid, counter, ws):
        self.args, self.hass_pid, self.counter, self.ws = args, hass_pid, counter, ws
        self.profiles = {}

    async def shown(self, entity_id, shown, value, timeout=EVENT_TIMEOUT):
        """`time_fired` (unix s) of the `state_changed` of `entity_id` that shows `value`."""
        deadline = time.monotonic() + timeout
        while True:
            event = await asyncio.wait_for(self.ws.events.get(),
                                           max(0.01, deadline - time.monotonic()))
            new = event["data"].get("new_state") or {}
            if event["data"].get("entity_id") == entity_id and shown(new) == float(value):
                return datetime.fromisoformat(event["time_fired"]).timestamp()

    async def phase(self, name, entity_id, send, values, shown=current_temperature):
        """`values` sent one by one with `send(value)` (returns the unix time it went out),
        each waited for in Home Assistant's events, `--interval` ms apart; Home Assistant's
        CPU and the broker's traffic over the phase and a tail, and the latencies."""
        args = self.args
        for value in values[:WARMUP]:
            await send(value)
            await self.shown(entity_id, shown, value)
        values = values[WARMUP:]
        await asyncio.sleep(args.quiet)
        idle_before = await self.idle_rate()
        profiler = None
        if args.profile:
            profiler = Profiler(args.py_spy, self.hass_pid, Path(args.profile) / f"{name}.txt",
                                args.profile_rate).__enter__()
        began, (user_began, system_began) = time.monotonic(), cpu_times(self.hass_pid)
        run_began = run_seconds(self.hass_pid)
        topics_began, bytes_began = self.counter.snapshot()
        latencies = []
        for value in values:
            started = time.monotonic()
            sent = await send(value)
            latencies.append(await self.shown(entity_id, shown, value) - sent)
            await asyncio.sleep(max(0.0, args.interval / 1000 - (time.monotonic() - started)))
        await asyncio.sleep(args.tail)
        user, system = cpu_times(self.hass_pid)
        run = run_seconds(self.hass_pid) - run_began
        elapsed = time.monotonic() - began
        if profiler:
            profiler.__exit__()
        topics, size = self.counter.snapshot()
        topics.subtract(topics_began)
        # Home Assistant's background rate, before and after the phase; the lower one is
        # taken, since a burst of its own (a statistics run, a poll) in one window is not
        # what it does all the time, and subtracting it would flatter the phase.
        idle_after = await self.idle_rate()
        idle_rate = min(idle_before, idle_after)
        n = len(values)
        cpu = user + system - user_began - system_began
        if profiler:
            self.profiles[name] = profiler.summary((user - user_began) * 1000 / n)
        ms = sorted(x * 1000 for x in latencies)
        return {
            "entity_id": entity_id, "reports": n,
            "p50_ms": statistics.median(ms), "p99_ms": ms[min(n - 1, int(n * 0.99))],
            "max_ms": ms[-1],
            "messages_per_report": sum(topics.values()) / n,
            "topics_per_report": {t: c / n for t, c in topics.most_common() if c > 0},
            "bytes_per_report": (size - bytes_began) / n,
            # utime + stime (1/CLK_TCK), raw and less the idle rate
            "cpu_ms_per_report": cpu * 1000 / n,
            "user_ms_per_report": (user - user_began) * 1000 / n,
            "system_ms_per_report": (system - system_began) * 1000 / n,
            "cpu_ms_per_report_net": max(0.0, cpu - idle_rate * elapsed) * 1000 / n,
            # the same from the threads' nanosecond clocks: the headline figure
            "run_ms_per_report": run * 1000 / n,
            "run_ms_per_report_net": max(0.0, run - idle_rate * elapsed) * 1000 / n,
            "idle_cpu_ms_per_s": idle_rate * 1000,
            "idle_before_after_ms_per_s": [idle_before * 1000, idle_after * 1000],
            "seconds": elapsed,
            "latencies_ms": [round(x * 1000, 3) for x in latencies],
        }

    async def idle_rate(self):
        """Home Assistant's CPU seconds per second over `--idle` s while nothing happens."""
        began, cpu = time.monotonic(), run_seconds(self.hass_pid)
        await asyncio.sleep(self.args.idle)
        return (run_seconds(self.hass_pid) - cpu) / (time.monotonic() - began)


def temperatures(offset, n):
    """`n` room temperatures, each different from the one before (and from `offset`'s
    neighbours), so every report changes the value."""
    return [offset + i % 10 for i in range(n)]


async def measure(args, base, token, hass_pid, counter, feed):
    result = {}
    async with aiohttp.ClientSession() as session:
        ws = await Socket.open(session, base, token)
        bench = Bench(args, hass_pid, counter, ws)

        async def push_up():
            raw = counter.payload(f"{args.base_topic}/bridge/state")
            return raw and json.loads(raw).get("lg_push") == "ON"
        await wait_until(push_up, 120, "the bridge's LG push session")

        object_id = "".join(c if c.isalnum() or c in "_-" else "_" for c in feed.ac)

        async def climate_entity():
            reply = await ws.call({"type": "config/entity_registry/list"})
            unique = f"thinq_{object_id}_climate"
            return next((e["entity_id"] for e in reply["result"] if e["unique_id"] == unique), None)
        entity = await wait_until(climate_entity, 120, "the air conditioner's climate entity")

        async def has_temperature():
            return current_temperature(request(base + f"/api/states/{entity}", token=token)) is not None
        await wait_until(has_temperature, 60, f"a current temperature on {entity}")
        await ws.call({"type": "subscribe_events", "event_type": "state_changed"})
        values = temperatures(18, WARMUP + args.reports)
        result["bridge"] = await bench.phase("bridge", entity, feed.report, values)

        if args.floor:
            result["floor"] = await ha_perf_floor.floors(args, base, token, counter, bench,
                                                         entity, feed.ac)
        if args.states:
            write_states(args.states, base, token)
        if args.peer:
            await feed.bridge_off()
            peer_entity = await ha_perf_peer.add_lg_thinq(base, token, ws, feed, wait_until)
            result["lg_thinq"] = await bench.phase("lg_thinq", peer_entity, feed.report, values)
        await ws.close()
    result["profiles"] = bench.profiles
    return result


def write_states(path, base, token):
    """Every entity's state and attributes, without timestamps, to compare two versions."""
    keep = ("entity_id", "state", "attributes")
    states = sorted((
        {k: s[k] for k in keep} for s in request(base + "/api/states", token=token)
    ), key=lambda s: s["entity_id"])
    Path(path).write_text("".join(json.dumps(s, sort_keys=True) + "\n" for s in states))


def configuration(args, config_dir, feed, ca_url):
    """What `configuration.yaml` adds to the harness's: the recorder (every default install
    has it), the probe for `--floor`, the redirect for `--peer`."""
    extra = "" if args.no_recorder else "recorder:\n"
    tools = Path(__file__).resolve().parent
    for wanted, folder, domain in ((args.floor, "ha_perf_probe", "perf_probe"),
                                   (args.peer, "ha_perf_redirect", "perf_redirect")):
        if wanted:
            shutil.copytree(tools / folder, config_dir / "custom_components" / domain,
                            ignore=shutil.ignore_patterns("__pycache__"))
    if args.floor:
        extra += "perf_probe:\n"
    if args.peer:
        extra += ha_perf_peer.redirect_yaml(feed, ca_url)
    return extra


async def run(args, tmp, broker_port, log):
    counter = Counter(broker_port)
    feed = await Feed.start(args.feed, broker_port)
    ca_server = hass = None
    try:
        if args.peer:
            if not feed.peer:
                raise SystemExit("--peer needs a feed built from this tree (it names the "
                                 "simulator's API and CA)")
            ca_server = ha_perf_peer.CaServer(Path(feed.peer["ca_file"]).read_text())
        config = tmp / "config"
        config.mkdir()
        ha_port = free_port()
        hass = harness.start_home_assistant(
            args.hass, config, ha_port, log,
            configuration(args, config, feed, ca_server.url if ca_server else None))
        base = f"http://127.0.0.1:{ha_port}"
        token = await asyncio.to_thread(harness.onboard, base, "127.0.0.1", broker_port,
                                        args.startup_timeout)
        version = harness.home_assistant_version(base, token)
        print(f"Home Assistant {version}", flush=True)
        result = await measure(args, base, token, hass.pid, counter, feed)
        result["home_assistant"] = version
        result["repairs"] = await harness.mqtt_repairs(base, token)
        result["log_problems"] = harness.log_problems(config / "home-assistant.log")
        return result
    finally:
        await feed.quit()
        counter.stop()
        if ca_server:
            ca_server.stop()
        if hass and hass.poll() is None:
            hass.send_signal(signal.SIGTERM)
            try:
                hass.wait(60)
            except subprocess.TimeoutExpired:
                hass.kill()


def print_phase(name, r):
    print(f"  {name:<9} push -> HA state p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms"
          f"  max {r['max_ms']:.2f} ms  ({r['entity_id']}, {r['reports']} reports)")
    print(f"  {'':<9} {r['messages_per_report']:.2f} MQTT messages, {r['bytes_per_report']:.0f}"
          f" bytes per report; HA CPU {r['run_ms_per_report_net']:.3f} ms per report net"
          f" ({r['run_ms_per_report']:.3f} raw, idle {r['idle_cpu_ms_per_s']:.2f} ms/s"
          f" (before/after {r['idle_before_after_ms_per_s'][0]:.2f}/"
          f"{r['idle_before_after_ms_per_s'][1]:.2f}) over"
          f" {r['seconds']:.1f} s; utime + stime {r['cpu_ms_per_report_net']:.2f} net,"
          f" {r['cpu_ms_per_report']:.2f} raw: user {r['user_ms_per_report']:.2f},"
          f" system {r['system_ms_per_report']:.2f})")
    for topic, n in r["topics_per_report"].items():
        if n >= 0.05:
            print(f"  {'':<9}   {n:.2f} on {topic}")


def report(args, result):
    print(json.dumps(result))
    print(f"{args.label or 'run'} on Home Assistant {result['home_assistant']}: "
          f"single-value reports (AC room temperature), {args.interval:.0f} ms apart,"
          f" load average {result['loadavg'][0]:.2f}")
    for name in ("bridge", "lg_thinq"):
        if name in result:
            print_phase(name, result[name])
    if "lg_thinq" in result:
        ours, theirs = result["bridge"], result["lg_thinq"]
        if theirs["run_ms_per_report_net"] > 0:
            print(f"  bridge / lg_thinq: HA CPU "
                  f"{ours['run_ms_per_report_net'] / theirs['run_ms_per_report_net']:.2f}x,"
                  f" p50 {ours['p50_ms'] / theirs['p50_ms']:.2f}x,"
                  f" p99 {ours['p99_ms'] / theirs['p99_ms']:.2f}x")
    ha_perf_floor.print_floor(result.get("floor"))
    for name, summary in result["profiles"].items():
        print_summary(name, summary)
    print(f"  MQTT repairs: {len(result['repairs'])}; log lines about MQTT/discovery/"
          f"templates/thinq: {len(result['log_problems'])}")
    for line in result["repairs"] + result["log_problems"][:20]:
        print(f"    {line}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=100)
    parser.add_argument("--label", default="")
    parser.add_argument("--feed", default="cargo run --release --example ha_perf_feed --")
    parser.add_argument("--hass", default=str(Path(sys.executable).with_name("hass")))
    parser.add_argument("--mosquitto", default="/usr/sbin/mosquitto")
    parser.add_argument("--base-topic", default="thinq")
    parser.add_argument("--peer", choices=["lg_thinq"],
                        help="then the same for Home Assistant's own integration")
    parser.add_argument("--quiet", type=float, default=10.0,
                        help="seconds Home Assistant is left alone before a phase")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds of idle CPU baseline")
    parser.add_argument("--interval", type=float, default=100.0, help="ms between reports")
    parser.add_argument("--tail", type=float, default=6.0,
                        help="seconds counted after the last report (deferred work)")
    parser.add_argument("--no-recorder", action="store_true",
                        help="leave the recorder out (Core's bare defaults)")
    parser.add_argument("--states", help="write every entity's state here after the bridge's "
                                         "phase (JSON lines)")
    parser.add_argument("--floor", action="store_true",
                        help="then measure what Home Assistant spends on the same reports sent "
                             "without the bridge, on a minimal climate and on a plain sensor, "
                             "and in process (see ha_perf_floor.py)")
    parser.add_argument("--profile", metavar="DIR",
                        help="record Home Assistant with py-spy during each phase, raw stacks "
                             "into DIR, and print where its CPU went (this makes the CPU "
                             "figures of that run a little high)")
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
        broker_port = free_port()
        log = open(tmp / "processes.log", "w")
        broker = harness.start_mosquitto(args.mosquitto, broker_port, tmp, log)
        try:
            result = asyncio.run(run(args, tmp, broker_port, log))
        except BaseException:
            log.flush()
            sys.stderr.write((tmp / "processes.log").read_text()[-4000:])
            raise
        finally:
            broker.send_signal(signal.SIGTERM)
            broker.wait(30)
    result["loadavg"] = os.getloadavg()
    result["label"] = args.label
    report(args, result)


if __name__ == "__main__":
    main()
