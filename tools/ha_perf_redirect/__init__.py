"""Points Home Assistant's own `lg_thinq` at the simulated LG cloud (`ha_perf.py --peer`).

Loaded as a custom integration, from `configuration.yaml`, into the Home Assistant that
`ha_perf.py --peer lg_thinq` starts, before any `lg_thinq` entry exists. thinqconnect (the
package `lg_thinq` uses, 1.0.14 in Home Assistant 2026.11) has no setting for another cloud,
so three of its fixed points are moved, and nothing else:

* `ThinQApi._get_url_from_endpoint`: `https://api-<region>.lgthinq.com/<endpoint>` becomes
  `<api_url>/<endpoint>`, the simulator's REST API, which checks the same headers (and API
  key) as LG's;
* `mqtt_client.ROOT_CA_REPOSITORY`: the address it downloads `AmazonRootCA1.pem` from (the
  CA it trusts for the push broker) becomes `ca_url`, where the script serves the
  simulator's test CA under that name;
* the push broker's port: thinqconnect keeps only the host of the `mqttServer` that LG's
  `/route` answers and connects to AWS IoT's fixed 8883; the simulator's broker listens on
  a free port, so the connection builder is given `push_port`.

The certificate thinqconnect gets is issued by the simulator from its CSR, the push arrives
over mutual TLS through awscrt, exactly as from AWS IoT Core: the integration's own code
path, measured where it runs.
"""
import functools

import voluptuous as vol

DOMAIN = "perf_redirect"
CONFIG_SCHEMA = vol.Schema({DOMAIN: vol.Schema({
    vol.Required("api_url"): str,
    vol.Required("ca_url"): str,
    vol.Required("push_port"): int,
})}, extra=vol.ALLOW_EXTRA)


async def async_setup(hass, config) -> bool:
    conf = config[DOMAIN]

    def redirect():
        # Imported in the executor: thinqconnect imports awscrt, which loads a native library.
        from awsiot import mqtt_connection_builder  # noqa: PLC0415
        from thinqconnect import mqtt_client, thinq_api  # noqa: PLC0415

        api_url = conf["api_url"].rstrip("/")
        thinq_api.ThinQApi._get_url_from_endpoint = (  # noqa: SLF001
            lambda self, endpoint: f"{api_url}/{endpoint}")
        mqtt_client.ROOT_CA_REPOSITORY = conf["ca_url"].rstrip("/")
        build = mqtt_connection_builder.mtls_from_bytes
        if not getattr(build, "perf_redirect", False):
            @functools.wraps(build)
            def with_port(*args, **kwargs):
                if kwargs.get("port") is None:
                    kwargs["port"] = conf["push_port"]
                return build(*args, **kwargs)
            with_port.perf_redirect = True
            mqtt_connection_builder.mtls_from_bytes = with_port

    await hass.async_add_executor_job(redirect)
    return True
