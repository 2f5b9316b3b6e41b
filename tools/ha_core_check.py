#!/usr/bin/env python3
"""Check what a real Home Assistant Core made of thinq-addon's MQTT discovery.

Developer tool, not part of CI (Home Assistant's first start installs its own requirements
from PyPI and takes minutes). Works on any Core from 2025.4.4 on (`ha_harness.py` handles
what differs: the MQTT config flow's sections, 2026's pending HTTP config); every command
prints the version it talked to. Usage, with the Python of a Core venv:

    hass -c CONFIG &          # configuration.yaml: http on 127.0.0.1:PORT
    python tools/ha_core_check.py setup  http://127.0.0.1:PORT BROKER_HOST BROKER_PORT
    python tools/ha_core_check.py states http://127.0.0.1:PORT [ENTITY_PREFIX]
    python tools/ha_core_check.py call   http://127.0.0.1:PORT DOMAIN SERVICE '{"entity_id": ...}'
    python tools/ha_core_check.py check  BRIDGE_BINARY   # all of it, in a Core of its own

`setup` onboards an owner user (saved token in ./.ha_token), confirms a pending HTTP config
and adds the MQTT integration pointing at the broker. `states` prints every MQTT entity with
its state and key attributes. `check` starts Mosquitto, Core (`hass` beside this Python) and
the bridge's demo, waits for the demo's air conditioner, turns it to 22 °C through Home
Assistant and waits until the bridge's state topic and Home Assistant show it; it fails on a
warning about MQTT or discovery in Core's log or a repair issue of the MQTT integration.
"""
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ha_harness as harness  # noqa: E402
from ha_harness import request  # noqa: E402

TOKEN_FILE = ".ha_token"
KEYS = ("device_class", "unit_of_measurement", "hvac_modes", "fan_modes", "swing_modes",
        "temperature", "current_temperature", "min_temp", "max_temp", "target_temp_step",
        "current_humidity", "options", "event_types", "preset_modes", "percentage",
        "preset_mode")


def setup(base, broker_host, broker_port):
    token = harness.onboard(base, broker_host, int(broker_port), 600)
    open(TOKEN_FILE, "w").write(token)
    print(f"Home Assistant {harness.home_assistant_version(base, token)}: mqtt entry created")


def print_states(base, token, prefix=""):
    for s in sorted(request(base + "/api/states", token=token), key=lambda s: s["entity_id"]):
        if prefix and not s["entity_id"].split(".", 1)[1].startswith(prefix):
            continue
        a = s["attributes"]
        keep = {k: a[k] for k in KEYS if k in a}
        print(f"{s['entity_id']:<70} {s['state']!s:<18} {a.get('friendly_name', '')!s:<45}"
              f" {json.dumps(keep) if keep else ''}")


def states(base, prefix=""):
    token = open(TOKEN_FILE).read().strip()
    print(f"Home Assistant {harness.home_assistant_version(base, token)}")
    print_states(base, token, prefix)


def call(base, domain, service, data):
    token = open(TOKEN_FILE).read().strip()
    print(f"Home Assistant {harness.home_assistant_version(base, token)}")
    print(request(base + f"/api/services/{domain}/{service}", json.loads(data), token))


def wait(what, check, timeout=300):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(1)
    return found


def check(bridge, hass=str(Path(sys.executable).with_name("hass")), mosquitto="mosquitto"):
    """The whole round trip in a Core of its own; exit status 0 when it held."""
    with harness.house("ha-core-check-", mosquitto, hass) as home:
        workdir, config, broker_port, base, token = home
        with harness.running([bridge, "demo", "--mqtt", f"127.0.0.1:{broker_port}"],
                             workdir / "demo.log", stop_within=60):

            def climate():
                return next((s for s in request(base + "/api/states", token=token)
                             if s["entity_id"].startswith("climate.")
                             and s["attributes"].get("current_temperature") is not None), None)
            entity = wait("the demo's air conditioner in Home Assistant", climate)["entity_id"]
            request(base + "/api/services/climate/set_hvac_mode",
                    {"entity_id": entity, "hvac_mode": "cool"}, token)
            request(base + "/api/services/climate/set_temperature",
                    {"entity_id": entity, "temperature": 22}, token)

            def shows_22():
                state = request(base + f"/api/states/{entity}", token=token)
                return state["attributes"].get("temperature") == 22 and state
            state = wait(f"{entity} at 22 °C (the command through LG and back)", shows_22)
            print(f"{entity}: {state['state']}, target {state['attributes']['temperature']} °C,"
                  f" room {state['attributes']['current_temperature']} °C")
            print_states(base, token, entity.split(".", 1)[1].rsplit("_", 1)[0])
            problems = harness.report_problems(config, base, token)
            print(f"(work directory: {workdir})")
            return 0 if not problems else 1


if __name__ == "__main__":
    cmd, first, *rest = sys.argv[1:]
    if cmd == "check":
        sys.exit(check(first, *rest))
    {"setup": setup, "states": states, "call": call}[cmd](first, *rest)
