"""In-process costs for `tools/ha_perf.py --floor`: Home Assistant's own work per write.

Loaded as a custom integration into the Home Assistant that `ha_perf.py` starts, only with
`--floor`. The service `perf_probe.measure` times, on the event loop thread (CPU time of
that thread, `time.thread_time`), `n` repetitions of:

* `mqtt_dispatch`: the MQTT client's `_async_mqtt_on_message` with a message on `topic`
  (what Home Assistant does with a message after paho has parsed it: subscription match,
  debug info, the entity's callback, the state write), no socket;
* `entity_write`: the climate entity's own `async_write_ha_state` after a new current
  temperature (state attributes, state machine, `state_changed`), no MQTT;
* `climate_state_set`: `hass.states.async_set` of a climate-like state (the attributes the
  real entity has), i.e. the state machine and event bus without the entity layer;
* `sensor_state_set`: the same for a plain temperature sensor's state.

Why: the per-report CPU that `ha_perf.py` measures from /proc includes waking the event
loop and paho reading the socket; these figures split it and give the floor below which no
MQTT layout can go.
"""
import time

import paho.mqtt.client as mqtt
import voluptuous as vol

from homeassistant.components.climate import DATA_COMPONENT as CLIMATE
from homeassistant.components.mqtt.models import DATA_MQTT
from homeassistant.core import HomeAssistant, ServiceCall, SupportsResponse
import homeassistant.helpers.config_validation as cv

DOMAIN = "perf_probe"
CONFIG_SCHEMA = cv.empty_config_schema(DOMAIN)


def _per_call_us(run, n):
    """CPU µs of this thread per call of `run(i)`, over `n` calls."""
    began = time.thread_time()
    for i in range(n):
        run(i)
    return (time.thread_time() - began) * 1e6 / n


async def async_setup(hass: HomeAssistant, _config) -> bool:
    async def measure(call: ServiceCall):
        n = call.data["n"]
        entity_id = call.data["entity_id"]
        entity = hass.data[CLIMATE].get_entity(entity_id)
        client = hass.data[DATA_MQTT].client
        topic = call.data["topic"]
        # Temperatures that always differ from the previous one, so every write is a change.
        values = [10.0 + (i % 2) + (i % 7) * 0.5 for i in range(n)]
        values = [v + 20 if i % 2 else v for i, v in enumerate(values)]
        result = {}

        def dispatch(i):
            msg = mqtt.MQTTMessage(0, topic.encode())
            msg.payload = str(values[i]).encode()
            client._async_mqtt_on_message(None, None, msg)  # noqa: SLF001

        if topic:  # a bridge from before one topic per value has none to replay
            result["mqtt_dispatch_us"] = _per_call_us(dispatch, n)

        # 2026.x reads the native value (the old name is deprecated, with a warning).
        field = ("_attr_native_current_temperature"
                 if hasattr(type(entity), "_attr_native_current_temperature")
                 else "_attr_current_temperature")

        def entity_write(i):
            setattr(entity, field, values[i])
            entity.async_write_ha_state()

        result["entity_write_us"] = _per_call_us(entity_write, n)

        climate = hass.states.get(entity_id)
        attributes = dict(climate.attributes)

        def climate_set(i):
            attributes["current_temperature"] = values[i]
            hass.states.async_set("climate.perf_probe", climate.state, dict(attributes))

        result["climate_state_set_us"] = _per_call_us(climate_set, n)

        sensor_attributes = {
            "state_class": "measurement", "unit_of_measurement": "°C",
            "device_class": "temperature", "friendly_name": "Perf probe",
        }

        def sensor_set(i):
            hass.states.async_set("sensor.perf_probe", str(values[i]), sensor_attributes)

        result["sensor_state_set_us"] = _per_call_us(sensor_set, n)
        hass.states.async_remove("climate.perf_probe")
        hass.states.async_remove("sensor.perf_probe")
        return result

    hass.services.async_register(
        DOMAIN, "measure", measure,
        schema=vol.Schema({
            vol.Required("entity_id"): cv.entity_id,
            vol.Required("topic"): str,
            vol.Required("n"): vol.All(int, vol.Range(min=1)),
        }),
        supports_response=SupportsResponse.ONLY,
    )
    return True
