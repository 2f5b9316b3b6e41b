"""`ha_perf.py --floor`: what the same kind of report costs Home Assistant without our bridge.

The script's own MQTT client publishes, timed exactly like the bridge's phase (one message
`--interval` ms apart, each waited for in Home Assistant's events, the same tail): on the air
conditioner's current-temperature topic as the bridge does (retained, QoS 1), then with QoS 0
and no retain flag; then on a climate that has nothing but a current-temperature topic, and
on a plain MQTT sensor with a plain state topic (the cheapest entity update MQTT offers).
Last, the in-process probe (`ha_perf_probe`) times Home Assistant's own work per write
without a socket.

Why: the bridge's figure less these is what any change of payloads, topics or discovery on
our side could still save.
"""
import json
import time
import urllib.error

from ha_harness import request


def _state(base, token, entity_id):
    try:
        return request(base + f"/api/states/{entity_id}", token=token)
    except urllib.error.HTTPError:
        return None


def _sensor_value(state):
    try:
        return float(state.get("state"))
    except (TypeError, ValueError):
        return None


def _temperature(state):
    return state.get("attributes", {}).get("current_temperature")


async def floors(args, base, token, counter, bench, climate, ac):
    client = counter.client
    topic = f"{args.base_topic}/{ac}/climate/current_temperature"
    if counter.payload(topic) is None:
        topic = None  # a bridge from before one topic per value: no replay
    values = [40 + i % 10 for i in range(20 + args.reports)]

    def sender(publish_topic, qos, retain):
        async def send(value):
            sent = time.time()
            client.publish(publish_topic, str(value), qos=qos, retain=retain)
            return sent
        return send

    out = {}
    if topic:
        out["replay"] = await bench.phase("replay", climate, sender(topic, 1, True), values)
        out["replay_qos0"] = await bench.phase("replay_qos0", climate,
                                               sender(topic, 0, False), values)
    for kind, key, config in (
        ("climate", "climate_minimal", {"curr_temp_t": "perf/climate/current"}),
        ("sensor", "sensor_plain", {"stat_t": "perf/sensor/state"}),
    ):
        # No object_id (2026.4 removed it): the entity id follows the device's name.
        entity_id = f"{kind}.perf_{key}"
        client.publish(f"homeassistant/{kind}/perf_{key}/config", json.dumps({
            "name": None, "uniq_id": f"perf_{key}",
            "dev": {"ids": [f"perf_{key}"], "name": f"perf {key}"}, **config,
        }), qos=1)
        # The entity exists before Home Assistant has subscribed to its topic (2026 batches
        # subscriptions), and a message before that is lost: a value outside the phase's is
        # sent until the entity shows it.
        shown = _temperature if kind == "climate" else _sensor_value
        topic_of_value = next(iter(config.values()))
        deadline = time.monotonic() + 60
        while (state := _state(base, token, entity_id)) is None or shown(state) != 39.0:
            if time.monotonic() > deadline:
                raise SystemExit(f"{entity_id} did not appear or take a value")
            client.publish(topic_of_value, "39", qos=0)
            time.sleep(0.5)
        out[key] = await bench.phase(key, entity_id, sender(topic_of_value, 0, False), values,
                                     shown)
    out["in_process_us"] = request(
        base + "/api/services/perf_probe/measure?return_response",
        {"entity_id": climate, "topic": topic or "", "n": args.reports}, token)["service_response"]
    return out


def print_floor(floor):
    for name, r in (floor or {}).items():
        if name == "in_process_us":
            print("  in process, CPU per call: " + ", ".join(
                f"{k.removesuffix('_us')} {v / 1000:.3f} ms" for k, v in r.items()))
        else:
            print(f"  floor {name:<17} HA CPU {r['run_ms_per_report_net']:.3f} ms per message net"
                  f" ({r['run_ms_per_report']:.3f} raw), p50 {r['p50_ms']:.2f} ms,"
                  f" p99 {r['p99_ms']:.2f} ms")
