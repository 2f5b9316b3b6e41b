# syntax=docker/dockerfile:1
# LG ThinQ add-on image: a static musl build of thinq-addon on the Home Assistant base image.
#
# The base is named here because Supervisors since 2026.04 pass BUILD_FROM only when a
# build.yaml exists; build.yaml (legacy) names the same image. Each architecture is built
# natively (BuildKit on an amd64 / arm64 runner, or the Supervisor on the user's machine).
ARG BUILD_FROM=ghcr.io/home-assistant/base:3.24-2026.08.0

# --- builder -------------------------------------------------------------------------------
FROM rust:1.95-alpine AS build
# musl-dev: the C runtime and headers that ring's C code and the static link need (gcc is in
# the rust:alpine image already). Nothing else: TLS is rustls + ring, no OpenSSL.
RUN apk add --no-cache musl-dev

# Home Assistant's arch name → Rust target. BUILD_ARCH is always passed by the Supervisor and
# the HA build actions; the uname fallback keeps a plain `docker build .` working.
ARG BUILD_ARCH
RUN set -eu; \
    arch="${BUILD_ARCH:-$(uname -m)}"; \
    case "$arch" in \
      amd64|x86_64) echo x86_64-unknown-linux-musl ;; \
      aarch64|arm64) echo aarch64-unknown-linux-musl ;; \
      *) echo "unsupported BUILD_ARCH '$arch' (aarch64 and amd64 only)" >&2; exit 1 ;; \
    esac > /rust-target

WORKDIR /src

# Dependencies first, against stub sources: this slow layer is reused for as long as
# Cargo.toml and Cargo.lock stay the same.
COPY Cargo.toml Cargo.lock ./
COPY .ci/build-static.sh .ci/build-static.sh
RUN set -eu; \
    mkdir -p src; \
    echo 'fn main() {}' > src/main.rs; \
    : > src/lib.rs; \
    .ci/build-static.sh "$(cat /rust-target)" /tmp/stub; \
    rm -rf src /tmp/stub

# The real sources. build-static.sh builds without the `demo` feature, so the image carries
# no simulated LG cloud, HTTP server or embedded broker. COPY keeps the files' own
# timestamps, which can be older than the stub build; touching the crate roots makes cargo
# rebuild this crate (and only it) for sure.
COPY . .
RUN set -eu; \
    touch src/main.rs src/lib.rs; \
    .ci/build-static.sh "$(cat /rust-target)" /out

# --- add-on image --------------------------------------------------------------------------
FROM ${BUILD_FROM}

ARG BUILD_ARCH
ARG BUILD_VERSION

COPY --from=build /out/thinq-addon /usr/bin/thinq-addon
COPY run.sh /run.sh
RUN chmod a+x /run.sh /usr/bin/thinq-addon

# Healthy only while the bridge keeps a fresh health file saying both MQTT sessions (LG's
# AWS IoT broker and Home Assistant's broker) are up. The start period covers the wait for
# the Supervisor's MQTT service and the first ThinQ login.
HEALTHCHECK --interval=60s --timeout=10s --start-period=180s --retries=3 \
    CMD ["/usr/bin/thinq-addon", "health"]

LABEL \
    io.hass.name="LG ThinQ" \
    io.hass.description="LG ThinQ appliances in Home Assistant through MQTT discovery" \
    io.hass.type="app" \
    io.hass.arch="${BUILD_ARCH}" \
    io.hass.version="${BUILD_VERSION}" \
    io.hass.url="https://github.com/thinq-addon/thinq-addon" \
    org.opencontainers.image.title="LG ThinQ" \
    org.opencontainers.image.description="LG ThinQ appliances in Home Assistant through MQTT discovery" \
    org.opencontainers.image.source="https://github.com/thinq-addon/thinq-addon" \
    org.opencontainers.image.url="https://github.com/thinq-addon/thinq-addon" \
    org.opencontainers.image.licenses="Apache-2.0" \
    org.opencontainers.image.version="${BUILD_VERSION}"

CMD ["/run.sh"]
