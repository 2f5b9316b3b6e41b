#!/usr/bin/env python3
"""Every fixture device in a real Home Assistant Core: what it made of them, per device.

Developer tool, not part of CI (Home Assistant's first start takes minutes). It starts a
Mosquitto on a free loopback port, a fresh Home Assistant Core (any release from 2025.4.4 on,
see `ha_harness.py`) with the MQTT integration on that broker, and the bridge's demo
with `--all-fixtures` (the simulated ThinQ cloud with all 70 fixture devices: LG's 59
example types and Home Assistant's 11 test devices) publishing to that broker. Once every
device's entities have a state, it prints:

* one table row per device: its Home Assistant platforms with entity counts, how many
  entities are unavailable, unknown, disabled by default or diagnostic;
* every warning or error line Home Assistant logged about MQTT, discovery or templates, and
  every repair issue the MQTT integration raised (the check fails when there is one);
* with `--show TYPE,...`, the entities of the devices whose model starts with a type, with
  their state and key attributes, as a user sees them.

Usage, with the Python of a Core venv (2025.4.4 in `/tmp/ha-venv`, 2026.11 in the folder
`../shared/tools/current-ha.sh` makes); `--hass` defaults to the `hass` beside it:

    cargo build --release
    /tmp/ha-venv-current/bin/python tools/ha_fixture_check.py [--language ko] \\
        [--bridge target/release/thinq-addon] [--show BULB_COLOR,BLIND_MOTOR]
"""
import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ha_harness as harness  # noqa: E402
from ha_harness import Socket  # noqa: E402

import aiohttp  # noqa: E402

DEVICES = 70
KEY_ATTRIBUTES = ("device_class", "unit_of_measurement", "hvac_modes", "hvac_mode", "fan_modes",
                  "preset_modes", "options", "event_types", "supported_color_modes",
                  "color_mode", "brightness", "hs_color", "color_temp_kelvin", "effect_list",
                  "current_position", "temperature", "target_temp_low", "target_temp_high",
                  "current_temperature", "available_tones", "fan_speed_list", "battery_level")


async def registry(ws):
    devices = (await ws.call({"type": "config/device_registry/list"}))["result"]
    entities = (await ws.call({"type": "config/entity_registry/list"}))["result"]
    return devices, entities


async def collect(base, token, timeout):
    """Waits until the entities stop growing and all have left `unknown` where they can."""
    async with aiohttp.ClientSession() as session:
        ws = await Socket.open(session, base, token)
        deadline = time.monotonic() + timeout
        last, stable_since = -1, time.monotonic()
        while True:
            devices, entities = await registry(ws)
            thinq = [d for d in devices if any(i[0] == "mqtt" and i[1].startswith("thinq_")
                                               for i in d["identifiers"])]
            count = len(entities)
            if count != last:
                last, stable_since = count, time.monotonic()
            settled = time.monotonic() - stable_since > 20
            states = (await ws.call({"type": "get_states"}))["result"]
            unavailable = sum(1 for s in states if s["state"] == "unavailable")
            if (len(thinq) >= DEVICES + 1 and settled and unavailable == 0) \
                    or time.monotonic() > deadline:
                return thinq, entities, states
            await asyncio.sleep(2)


def table(thinq, entities, states, show):
    by_id = {s["entity_id"]: s for s in states}
    by_device = defaultdict(list)
    for e in entities:
        if e["platform"] == "mqtt" and e.get("device_id"):
            by_device[e["device_id"]].append(e)
    rows = []
    totals = Counter()
    for device in sorted(thinq, key=lambda d: (d.get("model") or "", d["name"])):
        ents = by_device.get(device["id"], [])
        platforms = Counter(e["entity_id"].split(".", 1)[0] for e in ents)
        enabled = [e for e in ents if not e.get("disabled_by")]
        unavailable = sum(1 for e in enabled if by_id.get(e["entity_id"], {}).get("state") == "unavailable")
        unknown = sum(1 for e in enabled if by_id.get(e["entity_id"], {}).get("state") == "unknown")
        disabled = len(ents) - len(enabled)
        diagnostic = sum(1 for e in ents if e.get("entity_category") == "diagnostic")
        via = "via" if device.get("via_device_id") else ""
        name = device.get("name_by_user") or device["name"]
        rows.append(f"| {name} | {device.get('model') or ''} | "
                    + ", ".join(f"{p} {n}" for p, n in sorted(platforms.items()))
                    + f" | {len(ents)} | {unavailable} | {unknown} | {disabled} | {diagnostic} |")
        totals.update(entities=len(ents), unavailable=unavailable, unknown=unknown,
                      disabled=disabled, diagnostic=diagnostic, devices=1)
        totals.update({f"platform {p}": n for p, n in platforms.items()})
        if any((device.get("model") or "").startswith(s) for s in show):
            print(f"\n## {name} ({device.get('model')})")
            for e in sorted(ents, key=lambda e: e["entity_id"]):
                s = by_id.get(e["entity_id"])
                if not s:
                    print(f"  {e['entity_id']:<60} (disabled)")
                    continue
                a = s["attributes"]
                keep = {k: a[k] for k in KEY_ATTRIBUTES if k in a}
                print(f"  {e['entity_id']:<60} {s['state']!s:<22} {a.get('friendly_name', '')}"
                      f"  {json.dumps(keep, ensure_ascii=False) if keep else ''}")
    print("\n| device | model | platforms | entities | unavailable | unknown | disabled | diagnostic |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    print("\ntotals:", dict(sorted(totals.items())))
    return totals


def write_entities(path, entities):
    """One JSON line per thinq entity, by unique id: its entity id and the name Home
    Assistant derived (what automations and dashboards see)."""
    rows = sorted((e["unique_id"], e["entity_id"], e.get("original_name"))
                  for e in entities if e["unique_id"].startswith("thinq_"))
    Path(path).write_text("".join(
        json.dumps({"unique_id": u, "entity_id": i, "name": n}, ensure_ascii=False) + "\n"
        for u, i, n in rows))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hass", default=str(Path(sys.executable).with_name("hass")))
    parser.add_argument("--mosquitto", default="mosquitto")
    parser.add_argument("--bridge", default="target/release/thinq-addon")
    parser.add_argument("--language", default="en")
    parser.add_argument("--show", default="", help="comma-separated model prefixes to list")
    parser.add_argument("--entities", metavar="FILE",
                        help="write every thinq entity (unique id, entity id, name) here, "
                             "to compare what two Home Assistant releases derive")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--time-scale", default="0.02",
                        help="THINQ_TIME_SCALE for the bridge: 70 devices need ~280 LG calls")
    args = parser.parse_args()

    with harness.house("ha-fixtures-", args.mosquitto, args.hass) as home:
        workdir, config, broker_port, base, token = home
        env = dict(os.environ, THINQ_TIME_SCALE=args.time_scale)
        with harness.running([args.bridge, "demo", "--all-fixtures", "--language", args.language,
                              "--mqtt", f"127.0.0.1:{broker_port}"],
                             workdir / "bridge.log", env=env):
            thinq, entities, states = asyncio.run(collect(base, token, args.timeout))
            if args.entities:
                write_entities(args.entities, entities)
            show = [s for s in args.show.split(",") if s]
            totals = table(thinq, entities, states, show)
            print()
            problems = harness.report_problems(config, base, token, shown=50)
            print(f"(work directory: {workdir})")
            ok = (totals["devices"] >= DEVICES + 1 and not problems
                  and totals["unavailable"] == 0)
            sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
