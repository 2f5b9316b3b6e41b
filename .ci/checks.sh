#!/usr/bin/env bash
# Add-on build checks beyond `cargo test` (which already lints config.yaml, the translations,
# run.sh, the icons and AppArmor profile in tests/addon_package.rs): the static musl binary,
# built with the very script the Dockerfile runs, must be statically linked.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/build-static.sh x86_64-unknown-linux-musl target/static
./target/static/thinq-addon --version

# The README's first command, exactly as a newcomer runs it on a fresh clone: the whole
# product (simulated LG cloud, embedded brokers, the bridge) must show every appliance and
# live changes, and stop cleanly by itself.
out=$(mktemp)
cargo run --locked --release -- demo --duration 20 | tee "$out"
for alias in "Test air conditioner" "Test washer" "Kitchen refrigerator" "Test air purifier" "LG ThinQ bridge"; do
  grep -q "$alias" "$out" || { echo "demo did not show $alias" >&2; exit 1; }
done
grep -qE '^[0-9]{2}:[0-9]{2}:[0-9]{2} .*→' "$out" || { echo "demo showed no live change" >&2; exit 1; }
grep -q "Stopped cleanly" "$out" || { echo "demo did not stop cleanly" >&2; exit 1; }
echo "demo: every appliance shown, live changes seen, clean stop"
