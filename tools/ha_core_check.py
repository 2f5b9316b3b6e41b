#!/usr/bin/env python3
"""Check what a real Home Assistant Core made of thinq-addon's MQTT discovery.

Developer tool, not part of CI (Home Assistant's first start installs its own requirements
from PyPI and takes minutes). Usage, with Core 2025.4.4 in a Python 3.13 venv:

    hass -c CONFIG &          # configuration.yaml: default_config + http on 127.0.0.1:PORT
    python tools/ha_core_check.py setup  http://127.0.0.1:PORT BROKER_HOST BROKER_PORT
    python tools/ha_core_check.py states http://127.0.0.1:PORT [ENTITY_PREFIX]
    python tools/ha_core_check.py call   http://127.0.0.1:PORT DOMAIN SERVICE '{"entity_id": ...}'

`setup` onboards an owner user (saved token in ./.ha_token), and adds the MQTT integration
pointing at the broker. `states` prints every MQTT entity with its state and key attributes.
"""
import json
import sys
import urllib.parse
import urllib.request

TOKEN_FILE = ".ha_token"


def request(url, data=None, token=None, form=False, method=None):
    headers = {}
    body = None
    if data is not None:
        if form:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=60) as resp:
        text = resp.read().decode()
        return json.loads(text) if text else None


def setup(base, broker_host, broker_port):
    client_id = base + "/"
    code = request(base + "/api/onboarding/users", {
        "client_id": client_id, "name": "CI", "username": "ci", "password": "ci-password-123", "language": "en",
    })["auth_code"]
    tokens = request(base + "/auth/token", {"grant_type": "authorization_code", "code": code, "client_id": client_id}, form=True)
    token = tokens["access_token"]
    open(TOKEN_FILE, "w").write(token)
    flow = request(base + "/api/config/config_entries/flow", {"handler": "mqtt", "show_advanced_options": False}, token)
    result = request(base + f"/api/config/config_entries/flow/{flow['flow_id']}", {"broker": broker_host, "port": int(broker_port)}, token)
    print("mqtt entry:", result.get("type"), result.get("errors"))


def states(base, prefix=""):
    token = open(TOKEN_FILE).read().strip()
    for s in sorted(request(base + "/api/states", token=token), key=lambda s: s["entity_id"]):
        if prefix and not s["entity_id"].split(".", 1)[1].startswith(prefix):
            continue
        a = s["attributes"]
        keep = {k: a[k] for k in ("device_class", "unit_of_measurement", "hvac_modes", "fan_modes", "swing_modes",
                                   "temperature", "current_temperature", "min_temp", "max_temp", "target_temp_step",
                                   "options", "event_types", "event_type", "preset_modes", "percentage", "preset_mode") if k in a}
        print(f"{s['entity_id']:<70} {s['state']!s:<18} {a.get('friendly_name','')!s:<45} {json.dumps(keep) if keep else ''}")


def call(base, domain, service, data):
    token = open(TOKEN_FILE).read().strip()
    print(request(base + f"/api/services/{domain}/{service}", json.loads(data), token))


if __name__ == "__main__":
    cmd, base, *rest = sys.argv[1:]
    {"setup": setup, "states": states, "call": call}[cmd](base, *rest)
