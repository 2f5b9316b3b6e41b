#!/usr/bin/with-contenv bashio
# shellcheck shell=bash
# Starts the bridge. Option checks, the Supervisor MQTT lookup and logging all live in the
# binary (where they are tested); this script only announces the start and hands over, so the
# binary gets the signals and its exit code stops the container.
bashio::log.info "Starting the LG ThinQ bridge (options /data/options.json, state in /data)"
exec /usr/bin/thinq-addon run --options /data/options.json --data-dir /data
