#!/usr/bin/env bash
# Add-on build checks beyond `cargo test` (which already lints config.yaml, the translations,
# run.sh, the icons and AppArmor profile in tests/addon_package.rs): the static musl binary,
# built with the very script the Dockerfile runs, must be statically linked.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/build-static.sh x86_64-unknown-linux-musl target/static
./target/static/thinq-addon --version
