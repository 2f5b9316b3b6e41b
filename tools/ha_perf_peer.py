"""`ha_perf.py --peer lg_thinq`: Home Assistant's own LG integration on the simulated cloud.

The feed's ready line names the simulator's API, the file of the CA its push broker's
certificate chains to, that broker's port and the token. `CaServer` serves the CA under the
name thinqconnect downloads (`AmazonRootCA1.pem`), `redirect_yaml` loads
`ha_perf_redirect/` with those addresses (it must be in `configuration.yaml` at start, before
thinqconnect is first used), and `add_lg_thinq` goes through lg_thinq's config flow as a user
does (token, country), then waits until its climate entity for the air conditioner shows a
room temperature.
"""
import http.server
import threading

from ha_harness import free_port, request

CA_NAME = "AmazonRootCA1.pem"  # thinqconnect's FILE_ROOT_CA


class CaServer:
    """The simulator's CA over plain HTTP on 127.0.0.1, at `<url>/AmazonRootCA1.pem`."""

    def __init__(self, pem):
        body = pem.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the stdlib's name)
                found = self.path == f"/{CA_NAME}"
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/x-pem-file")
                self.end_headers()
                if found:
                    self.wfile.write(body)

            def log_message(self, *_):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()


def redirect_yaml(feed, ca_url):
    return (f"perf_redirect:\n  api_url: {feed.peer['api_url']}\n  ca_url: {ca_url}\n"
            f"  push_port: {int(feed.peer['push_port'])}\n")


async def add_lg_thinq(base, token, ws, feed, wait_until):
    """lg_thinq's entry on the simulator; the entity id of its air conditioner's climate."""
    flow = request(base + "/api/config/config_entries/flow",
                   {"handler": "lg_thinq", "show_advanced_options": False}, token)
    if flow.get("type") != "form":
        raise SystemExit(f"lg_thinq's config flow did not show a form: {flow}")
    result = request(base + f"/api/config/config_entries/flow/{flow['flow_id']}",
                     {"access_token": feed.peer["pat"], "country": "US"}, token)
    if result.get("type") != "create_entry":
        raise SystemExit(f"lg_thinq entry not created: {result}")
    entry_id = result["result"]["entry_id"]

    async def loaded():
        entries = request(base + "/api/config/config_entries/entry", token=token)
        state = next((e["state"] for e in entries if e["entry_id"] == entry_id), None)
        if state in ("setup_error", "setup_retry", "failed_unload", "not_loaded_error"):
            raise SystemExit(f"lg_thinq entry is {state}: see Home Assistant's log")
        return state == "loaded"
    await wait_until(loaded, 120, "lg_thinq's entry to load")

    async def climate():
        reply = await ws.call({"type": "config/entity_registry/list"})
        return next((e["entity_id"] for e in reply["result"]
                     if e["platform"] == "lg_thinq" and e["entity_id"].startswith("climate.")
                     and e["unique_id"].startswith(feed.ac)), None)
    entity = await wait_until(climate, 60, "lg_thinq's climate entity of the air conditioner")

    async def has_temperature():
        state = request(base + f"/api/states/{entity}", token=token)
        return state.get("attributes", {}).get("current_temperature") is not None
    await wait_until(has_temperature, 60, f"a current temperature on {entity}")
    return entity
