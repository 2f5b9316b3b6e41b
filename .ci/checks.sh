#!/usr/bin/env bash
# Add-on build checks beyond `cargo test` (which already lints config.yaml, the translations,
# run.sh, the icons and AppArmor profile in tests/addon_package/): the static musl binary,
# built with the very script the Dockerfile runs (without the `demo` feature), must be
# statically linked and must not know the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/build-static.sh x86_64-unknown-linux-musl target/static
./target/static/thinq-addon --version

# The add-on binary is built without the `demo` feature: it must refuse `demo` as an unknown
# command (exit 2, bad usage), not run a simulator inside users' containers.
set +e
refusal=$(./target/static/thinq-addon demo --duration 1 2>&1)
status=$?
set -e
if [ "$status" -ne 2 ] || ! printf '%s' "$refusal" | grep -q 'unknown command "demo"'; then
  echo "the add-on binary accepted or mishandled 'demo' (exit $status): $refusal" >&2
  exit 1
fi
echo "add-on binary: 'demo' refused as an unknown command"

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
echo "binary sizes: add-on (static musl, no demo) $(wc -c <target/static/thinq-addon) bytes;" \
  "developer build (glibc, with demo) $(wc -c <target/release/thinq-addon) bytes"
