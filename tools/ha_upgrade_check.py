#!/usr/bin/env python3
"""An upgrade in a real Home Assistant Core: do users keep their entities?

Developer tool, not part of CI. It starts Mosquitto and a fresh Home Assistant Core (any
release from 2025.4.4 on, as `ha_fixture_check.py` does), runs the demo of an OLDER build
until Home Assistant has its
entities, stops it (its retained discovery stays on the broker, as an installed add-on's
does), then runs the demo of the NEW build on the same broker and compares Home Assistant's
entity registry before and after:

* every entity whose platform did not change keeps its entity id (history, dashboards and
  automations follow the entity id);
* entities that moved to another device (a WashTower's units) are listed with both devices;
* entities whose platform changed (a switch that became a light) are listed: Home Assistant
  makes a new entity for them, as the CHANGELOG says;
* every sensor of the new build shows in Home Assistant the plain value the bridge holds
  retained on its state topic (an entity that kept an old value template would not: Home
  Assistant keeps a sensor's template when a discovery update drops it);
* Home Assistant's log has no warning or error about MQTT, discovery or templates, and the
  MQTT integration raised no repair issue.

Usage, with the Python of a Core venv (`--hass` defaults to the `hass` beside it):

    /tmp/ha-venv-current/bin/python tools/ha_upgrade_check.py --old /path/to/old/thinq-addon \\
        [--new target/release/thinq-addon]
"""
import argparse
import asyncio
import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ha_harness as harness  # noqa: E402
from ha_fixture_check import registry  # noqa: E402
from ha_harness import Socket  # noqa: E402

import aiohttp  # noqa: E402


async def settled_registry(base, token, timeout, want_devices):
    """The entity and device registries once the thinq devices stop growing."""
    async with aiohttp.ClientSession() as session:
        ws = await Socket.open(session, base, token)
        deadline = time.monotonic() + timeout
        last, since = None, time.monotonic()
        while True:
            devices, entities = await registry(ws)
            thinq = [e for e in entities if e["platform"] == "mqtt"
                     and e["unique_id"].startswith("thinq_")]
            states = (await ws.call({"type": "get_states"}))["result"]
            unavailable = sum(1 for s in states if s["state"] == "unavailable")
            count = (len(thinq), len(devices))
            if count != last:
                last, since = count, time.monotonic()
            if (len(devices) >= want_devices and time.monotonic() - since > 20
                    and unavailable == 0) or time.monotonic() > deadline:
                return devices, entities, unavailable
            await asyncio.sleep(2)


def retained(broker_port):
    """Every retained message under homeassistant/ and thinq/, as {topic: payload}."""
    return {topic: payload.decode(errors="replace")
            for topic, payload in harness.retained(broker_port, ["homeassistant/#", "thinq/#"])
            .items()}


def same_value(payload, state):
    """Whether Home Assistant's sensor state shows the plain payload."""
    if state == payload or (payload in ("None", "") and state == "unknown"):
        return True
    try:
        return float(state) == float(payload)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(state) == datetime.fromisoformat(payload)
    except ValueError:
        return False


async def sensor_mismatches(base, token, broker_port, tries=4):
    """Sensors whose Home Assistant state differs from their retained plain value, and
    climates / humidifiers whose current humidity differs from the value on the topic their
    discovery names (since issue 17 their Humidity sensor's), in every one of `tries` looks a
    few seconds apart (the demo's appliances keep changing)."""
    persistent = None
    async with aiohttp.ClientSession() as session:
        ws = await Socket.open(session, base, token)
        for _ in range(tries):
            messages = retained(broker_port)
            topic_of = {}
            for topic, payload in messages.items():
                if topic.startswith("homeassistant/") and topic.endswith("/config") and payload:
                    for c in json.loads(payload).get("cmps", {}).values():
                        if c.get("p") == "sensor" and "stat_t" in c and "val_tpl" not in c:
                            topic_of[c["uniq_id"]] = c["stat_t"]
                        elif "current_humidity_topic" in c:
                            topic_of[c["uniq_id"]] = c["current_humidity_topic"]
            _, entities = await registry(ws)
            # A sensor's state, a composite's current humidity, as text.
            states = {s["entity_id"]: s["state"] if s["entity_id"].startswith("sensor.")
                      else str(s["attributes"].get("current_humidity"))
                      for s in (await ws.call({"type": "get_states"}))["result"]}
            found = set()
            for e in entities:
                topic = topic_of.get(e["unique_id"])
                if topic is None or e["entity_id"] not in states or topic not in messages:
                    continue
                if not same_value(messages[topic], states[e["entity_id"]]):
                    found.add(f"{e['entity_id']}: Home Assistant shows "
                              f"{states[e['entity_id']]!r}, the bridge holds {messages[topic]!r}")
            persistent = found if persistent is None else persistent & found
            if not persistent:
                break
            await asyncio.sleep(3)
        return len(topic_of), sorted(persistent or [])


def run_demo(binary, broker_port, log_path):
    """The demo of `binary` on the house's broker, for a `with` block (see harness.running)."""
    env = dict(os.environ, THINQ_TIME_SCALE="0.02")
    return harness.running([binary, "demo", "--mqtt", f"127.0.0.1:{broker_port}"], log_path,
                           env=env)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hass", default=str(Path(sys.executable).with_name("hass")))
    parser.add_argument("--mosquitto", default="mosquitto")
    parser.add_argument("--old", required=True)
    parser.add_argument("--new", default="target/release/thinq-addon")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()

    with harness.house("ha-upgrade-", args.mosquitto, args.hass) as home:
        workdir, config, broker_port, base, token = home
        with run_demo(args.old, broker_port, workdir / "old.log"):
            devices_old, before, unavailable_old = asyncio.run(
                settled_registry(base, token, args.timeout, 17))
        with run_demo(args.new, broker_port, workdir / "new.log"):
            devices_new, after, unavailable = asyncio.run(
                settled_registry(base, token, args.timeout, 19))
            names = {d["id"]: d.get("name_by_user") or d["name"] for d in devices_old + devices_new}
            old = {e["unique_id"]: e for e in before if e["unique_id"].startswith("thinq_")}
            new = {e["unique_id"]: e for e in after if e["unique_id"].startswith("thinq_")}
            kept, renamed, moved, replatformed, gone = [], [], [], [], []
            for uid, e in old.items():
                n = new.get(uid)
                # Disabled by the integration now but not before: the new build left it out.
                # (Diagnostics disabled by default in both builds are kept, not gone.)
                if n is None or (n.get("disabled_by") == "integration"
                                 and e.get("disabled_by") != "integration"):
                    gone.append(e["entity_id"])
                elif n["entity_id"].split(".")[0] != e["entity_id"].split(".")[0]:
                    replatformed.append(f"{e['entity_id']} -> {n['entity_id']}")
                elif n["entity_id"] != e["entity_id"]:
                    renamed.append(f"{e['entity_id']} -> {n['entity_id']}")
                else:
                    kept.append(e["entity_id"])
                    if n["device_id"] != e["device_id"]:
                        moved.append(f"{e['entity_id']}: {names.get(e['device_id'])} -> "
                                     f"{names.get(n['device_id'])}")
            print(f"old build: {len(old)} entities on {len(devices_old)} devices "
                  f"({unavailable_old} unavailable)")
            print(f"new build: {len(new)} entities on {len(devices_new)} devices "
                  f"({unavailable} unavailable)")
            print(f"kept their entity id: {len(kept)} (of which moved to another device: "
                  f"{len(moved)})")
            for line in moved:
                print("  moved  " + line)
            print(f"entity id changed on the same platform: {len(renamed)}")
            for line in renamed:
                print("  RENAMED " + line)
            print(f"platform changed (a new entity, as the CHANGELOG says): {len(replatformed)}")
            for line in replatformed:
                print("  " + line)
            print(f"removed by the new build: {len(gone)}")
            for line in gone:
                print("  " + line)
            sensors, mismatches = asyncio.run(sensor_mismatches(base, token, broker_port))
            print(f"sensors (and current humidities) whose Home Assistant state differs from the"
                  f" value the bridge holds: {len(mismatches)} of {sensors}")
            for line in mismatches[:40]:
                print("  " + line)
            problems = harness.report_problems(config, base, token, shown=40)
            print(f"(work directory: {workdir})")
            sys.exit(0 if not renamed and not problems and not mismatches
                     and unavailable == 0 else 1)


if __name__ == "__main__":
    main()
