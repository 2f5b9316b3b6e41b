"""A fresh Home Assistant Core for the tools in `tools/`, on any release from 2025.4.4 on.

Shared by `ha_core_check.py`, `ha_fixture_check.py`, `ha_upgrade_check.py` and `ha_perf.py`,
so that what differs between Home Assistant releases is handled once, here:

* The MQTT config flow's broker form. 2025.4.4 asks for broker and port; 2026.x adds a
  required `protocol` and a required, collapsed section `other_settings` (client id,
  keepalive, certificates, transport). `mqtt_flow_input` fills every required field from
  the `data_schema` Home Assistant returns, with its own defaults (certificates off), so a
  field a later release adds is filled the same way instead of failing the flow with 400.
* The YAML `http:` section. From 2026.x Home Assistant migrates it once into its store as a
  *pending* config and restarts itself after 5 minutes to go back to the stable one unless
  someone confirms it (websocket `http/config/promote`). `confirm_http_config` does, right
  after onboarding, so a run longer than 5 minutes is not cut by a restart. On a release
  without that command nothing is pending and nothing is sent.
* The version: `home_assistant_version` reads it from `/api/config`, and every tool prints
  it, because a check passed on one release says little about another.
* Repairs: `mqtt_repairs` lists the issues the MQTT integration raised (deprecated
  discovery keys and the like), which a log check alone would miss.
"""
import asyncio
import contextlib
import json
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import namedtuple
from pathlib import Path

import aiohttp  # noqa: F401  (Home Assistant's own dependency; callers open the session)

# Words in a log line that make it ours to look at.
LOG_WORDS = ("mqtt", "discovery", "template", "thinq")


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


def mosquitto_command(mosquitto, port, workdir):
    """The command line of a Mosquitto on 127.0.0.1:`port`, its configuration written."""
    conf = Path(workdir) / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    return [mosquitto, "-c", str(conf)]


def start_mosquitto(mosquitto, port, workdir, log=subprocess.DEVNULL):
    proc = subprocess.Popen(mosquitto_command(mosquitto, port, workdir), stdout=log,
                            stderr=subprocess.STDOUT)
    wait_port(port, 10)
    return proc


def write_configuration(config_dir, port, extra=""):
    """Only what Core always loads, the HTTP server on 127.0.0.1:`port`, warnings logged."""
    (Path(config_dir) / "configuration.yaml").write_text(
        "homeassistant:\n  name: check\n  time_zone: UTC\n  unit_system: metric\n"
        "  latitude: 0\n  longitude: 0\n  elevation: 0\n"
        f"http:\n  server_host: 127.0.0.1\n  server_port: {port}\n"
        "logger:\n  default: warning\n" + extra
    )


def home_assistant_command(hass, config_dir, port, extra=""):
    """The command line of a Core on 127.0.0.1:`port`, its configuration written."""
    write_configuration(config_dir, port, extra)
    return [hass, "-c", str(config_dir)]


def start_home_assistant(hass, config_dir, port, log, extra=""):
    return subprocess.Popen(home_assistant_command(hass, config_dir, port, extra), stdout=log,
                            stderr=subprocess.STDOUT)


def fill_required(fields, given):
    """The values for a config flow form: `given` where it names a field, else every
    required field's own default; a required field without one gets the "off" choice of a
    select or False of a boolean (certificates off); sections are filled the same way."""
    out = {}
    for field in fields:
        name = field["name"]
        if name in given:
            out[name] = given[name]
        elif field.get("type") == "expandable":
            if field.get("required"):
                out[name] = fill_required(field["schema"], given.get(name, {}))
        elif not field.get("required"):
            continue
        elif "default" in field:
            out[name] = field["default"]
        elif "boolean" in field.get("selector", {}):
            out[name] = False
        elif "off" in [o if isinstance(o, str) else o.get("value")
                       for o in field.get("selector", {}).get("select", {}).get("options", [])]:
            out[name] = "off"
        else:
            raise SystemExit(f"the MQTT config flow wants {name!r}, which this tool cannot fill")
    return out


def mqtt_flow_input(data_schema, broker, port):
    return fill_required(data_schema, {"broker": broker, "port": int(port)})


def wait_for_api(base, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            request(base + "/api/onboarding")
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise SystemExit(f"Home Assistant did not answer within {timeout} s")
            time.sleep(1)


def onboard(base, broker_host, broker_port, timeout):
    """An owner user, a token, the HTTP config confirmed, the MQTT entry on the broker."""
    wait_for_api(base, timeout)
    client_id = base + "/"
    code = request(base + "/api/onboarding/users", {
        "client_id": client_id, "name": "Check", "username": "check",
        "password": "check-password-123", "language": "en",
    })["auth_code"]
    token = request(base + "/auth/token", {
        "grant_type": "authorization_code", "code": code, "client_id": client_id,
    }, form=True)["access_token"]
    asyncio.run(confirm_http_config(base, token))
    add_mqtt_entry(base, token, broker_host, broker_port)
    return token


def add_mqtt_entry(base, token, broker_host, broker_port):
    flow = request(base + "/api/config/config_entries/flow",
                   {"handler": "mqtt", "show_advanced_options": False}, token)
    if flow.get("type") != "form":
        raise SystemExit(f"the MQTT config flow did not show a form: {flow}")
    result = request(base + f"/api/config/config_entries/flow/{flow['flow_id']}",
                     mqtt_flow_input(flow["data_schema"], broker_host, broker_port), token)
    if result.get("type") != "create_entry":
        raise SystemExit(f"MQTT entry not created: {result}")
    return result


def home_assistant_version(base, token):
    return request(base + "/api/config", token=token)["version"]


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

    async def close(self):
        self.reader.cancel()
        await self.ws.close()


async def confirm_http_config(base, token):
    """Confirms a pending HTTP config (2026.x) so Home Assistant keeps it, instead of
    restarting 5 minutes in to revert it. Returns whether there was one."""
    async with aiohttp.ClientSession() as session:
        ws = await Socket.open(session, base, token)
        try:
            config = await ws.call({"type": "http/config"})
            if not config.get("success") or not config["result"].get("pending"):
                return False  # an older release, or nothing staged
            promoted = await ws.call({"type": "http/config/promote"})
            if not promoted.get("success"):
                raise SystemExit(f"the pending HTTP config was not confirmed: {promoted}")
            return True
        finally:
            await ws.close()


async def repairs(ws):
    """Every repair issue Home Assistant holds, as (domain, issue_id, translation_key)."""
    reply = await ws.call({"type": "repairs/list_issues"})
    return [(i["domain"], i["issue_id"], i.get("translation_key"))
            for i in reply.get("result", {}).get("issues", [])]


async def mqtt_repairs(base, token):
    """The repair issues raised by the MQTT integration (discovery it objects to), after
    printing every repair issue Home Assistant holds (others, such as 2026's `http`
    `deprecated_yaml` for the tools' own YAML, are not about our discovery)."""
    async with aiohttp.ClientSession() as session:
        ws = await Socket.open(session, base, token)
        try:
            issues = await repairs(ws)
        finally:
            await ws.close()
    print(f"repair issues in Home Assistant: {issues or 'none'}")
    return [i for i in issues if i[0] == "mqtt"]


def retained(broker_port, filters, quiet=1.0, timeout=15.0):
    """The retained messages under `filters` on the broker, as {topic: payload bytes}: what a
    client that subscribes now is sent, until nothing more comes for `quiet` s. (paho, which
    every Home Assistant venv has, instead of `mosquitto_sub`, which not every machine does.)"""
    import threading  # noqa: PLC0415
    import paho.mqtt.client as mqtt  # noqa: PLC0415

    messages, last = {}, [time.monotonic()]
    lock = threading.Lock()

    def on_message(_client, _userdata, msg):
        if msg.retain:
            with lock:
                messages[msg.topic] = msg.payload
                last[0] = time.monotonic()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.on_connect = lambda c, u, f, rc, p: [c.subscribe(t) for t in filters]
    client.on_message = on_message
    client.connect("127.0.0.1", broker_port)
    client.loop_start()
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        time.sleep(0.1)
        with lock:
            if time.monotonic() - last[0] > quiet and time.monotonic() - began > quiet:
                break
    client.loop_stop()
    client.disconnect()
    return {t: p for t, p in messages.items() if p}


def log_problems(log_path, words=LOG_WORDS):
    """Warning and error lines of Home Assistant's log that mention one of `words`."""
    problems = []
    for line in Path(log_path).read_text(errors="replace").splitlines():
        if (" WARNING " in line or " ERROR " in line) and any(w in line.lower() for w in words):
            problems.append(line)
    return problems


def report_problems(config_dir, base, token, shown=40):
    """Prints the log lines about MQTT/discovery/templates and the MQTT integration's repair
    issues; the number of both together (0: Home Assistant took everything without a word)."""
    problems = log_problems(Path(config_dir) / "home-assistant.log")
    print(f"Home Assistant log lines about MQTT/discovery/templates: {len(problems)}")
    for line in problems[:shown]:
        print("  " + line)
    found = asyncio.run(mqtt_repairs(base, token))
    print(f"Repair issues of the MQTT integration: {len(found)}")
    for issue in found:
        print(f"  {issue}")
    return len(problems) + len(found)


@contextlib.contextmanager
def running(args, log_path, env=None, stop_within=30):
    """`args` run for the block, its output in `log_path`; stopped (SIGTERM, then waited for
    up to `stop_within` s) when the block ends, however it ends. Yields the Popen."""
    with open(log_path, "w") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(stop_within)


House = namedtuple("House", "workdir config broker_port base token")


@contextlib.contextmanager
def house(prefix, mosquitto, hass):
    """A Mosquitto and a Home Assistant Core of their own in a new work directory (named
    `prefix`…), Core onboarded with the MQTT integration on that broker and its version
    printed; both stop when the block ends. Yields a House."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    broker_port, http_port = free_port(), free_port()
    config = workdir / "ha"
    config.mkdir()
    with running(mosquitto_command(mosquitto, broker_port, workdir), workdir / "mosquitto.log",
                 stop_within=10):
        wait_port(broker_port, 10)
        with running(home_assistant_command(hass, config, http_port), workdir / "hass.log",
                     stop_within=60):
            base = f"http://127.0.0.1:{http_port}"
            token = onboard(base, "127.0.0.1", broker_port, 600)
            print(f"Home Assistant {home_assistant_version(base, token)}", flush=True)
            yield House(workdir, config, broker_port, base, token)
