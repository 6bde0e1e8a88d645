#!/usr/bin/env bash
# The project's test command: every check, from a fresh Debian machine of this kind (root or sudo).
#
#   bash scripts/test.sh
#
# 1. Installs Debian's `influxdb` package when `influxd` is missing. The integration tests start
#    their own throwaway influxd on free loopback ports (crates/test-support); they never use the
#    packaged service or port 8086, so the package is installed without starting that service.
#    Installs Debian's `chromium-headless-shell` when it is missing: the trace viewer's page
#    tests drive it (crates/trace-server/tests/viewer_browser.rs). Then installs the third-party
#    clients the tests drive (the OpenTelemetry Python SDK and exporters into a virtualenv, the
#    JS exporters into an npm folder), pinned, from the package registries:
#    scripts/install-test-peers.sh.
# 2. cargo fmt --check, clippy -D warnings, the whole test suite (unit, integration, doc tests),
#    and cargo doc with warnings denied (the workspace's rustdoc lints).
# 3. cargo package of every published crate (manifest metadata, the files each package holds),
#    with warnings (e.g. missing metadata) failing it. Without verification: unpacking and
#    building each .crate on its own is a second cold build of the tree, which the CI time
#    budget (30 minutes on 2 cores) cannot hold; every crate is built from the same sources above.
# 4. cargo-deny: licenses, bans and sources ([deny.toml](../deny.toml)). Installed by this script
#    into target/tools when missing (`cargo install --locked --debug cargo-deny`, pinned; a debug
#    build compiles in under 2 minutes on 2 cores, a release build in over 6, and checks this
#    tree in 4 s).
#    Advisories only when a local RustSec database exists: it is a git checkout from GitHub,
#    which this CI machine cannot reach.
set -euo pipefail
cd "$(dirname "$0")/.."

# Plain logs for CI; full backtraces when something panics.
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"
# A one-shot build gains nothing from incremental compilation, and it costs time and disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
# This script installs influxd, so a test that cannot find it must fail, never skip.
export CI="${CI:-true}"

started=$SECONDS
step() { printf '\n==> %s (at %ss)\n' "$*" "$((SECONDS - started))"; }
die() { printf 'scripts/test.sh: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root or sudo to run: $*"
    fi
}

install_influxdb() {
    step "installing Debian's influxdb package (influxd not found)"
    command -v apt-get >/dev/null 2>&1 || die "influxd is missing and apt-get is not available; install InfluxDB 1.x by hand"
    # Keep the package's postinst from starting a system influxd on :8086 (its `invoke-rc.d
    # influxdb start || exit 1` would also fail the install if that port is busy). A
    # policy-rc.d that exits 101 is Debian's documented way to say "do not start services".
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then
        # Ours for the duration of the install only, even if the script is interrupted.
        trap 'as_root rm -f "$policy"' EXIT
        printf '#!/bin/sh\n# Written by scripts/test.sh for one apt-get install.\nexit 101\n' | as_root tee "$policy" >/dev/null
        as_root chmod 755 "$policy"
    fi
    local status=0
    as_root apt-get update -qq || status=$?
    if [ "$status" -eq 0 ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends influxdb >/dev/null || status=$?
    fi
    if [ -n "$(trap -p EXIT)" ]; then
        as_root rm -f "$policy"
        trap - EXIT
    fi
    [ "$status" -eq 0 ] || die "apt-get failed (exit $status) while installing influxdb"
}

install_headless_browser() {
    step "installing Debian's chromium-headless-shell (not found; about 130 packages)"
    command -v apt-get >/dev/null 2>&1 || die "chromium-headless-shell is missing and apt-get is not available; install it by hand or set CHROMIUM_HEADLESS_SHELL"
    as_root apt-get update -qq || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium-headless-shell >/dev/null \
        || die "apt-get failed while installing chromium-headless-shell"
}

command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust (https://rustup.rs)"
cargo fmt --version >/dev/null 2>&1 || die "rustfmt not found: rustup component add rustfmt"
cargo clippy --version >/dev/null 2>&1 || die "clippy not found: rustup component add clippy"

command -v influxd >/dev/null 2>&1 || install_influxdb
command -v influxd >/dev/null 2>&1 || die "influxd is still missing after the install"
step "influxd: $(influxd version 2>/dev/null || echo 'version unknown')"

if [ -z "${CHROMIUM_HEADLESS_SHELL:-}" ]; then
    command -v chromium-headless-shell >/dev/null 2>&1 || install_headless_browser
    command -v chromium-headless-shell >/dev/null 2>&1 || die "chromium-headless-shell is still missing after the install"
fi
step "browser: $("${CHROMIUM_HEADLESS_SHELL:-chromium-headless-shell}" --version 2>/dev/null || echo 'version unknown')"

# The OpenTelemetry Python and JS SDKs' exporters, pinned, into target/test-peers (tests find
# them through test_support::peers); skipped when the pins have not changed since the last run.
step "third-party test peers (scripts/install-test-peers.sh)"
bash scripts/install-test-peers.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked
# sdk-exporter's disk buffer is an opt-in feature (apps that do not buffer compile no queue).
step "cargo test -p sdk-exporter --features disk-buffer"
cargo test -p sdk-exporter --features disk-buffer --locked --test disk_buffer
cargo test -p sdk-exporter --features disk-buffer --locked --doc

# The workspace's rustdoc lints (broken intra-doc links, bare URLs) only run under rustdoc.
step "cargo doc (rustdoc lints)"
RUSTDOCFLAGS="${RUSTDOCFLAGS:-} -D warnings" cargo doc --workspace --no-deps --locked

# Every crate a user gets from crates.io, packaged as `cargo publish` would: the manifest
# metadata crates.io needs and the files a package holds (README, LICENSE). Not verified (see
# the header: a second cold build). The harness (test-support) and the root facade
# (otel-datalayers) are not published. Any warning fails the step.
step "cargo package (--no-verify)"
package_log=target/package.log
cargo package --workspace --exclude test-support --exclude otel-datalayers --locked --no-verify 2>&1 | tee "$package_log"
if grep -q '^warning' "$package_log"; then
    die "cargo package warned (see above)"
fi

# cargo-deny, pinned, built once into target/tools in debug (see the header: a release build's
# compile time would not fit the CI budget; the debug binary checks this tree in seconds).
cargo_deny_version=0.20.2
cargo_deny=target/tools/bin/cargo-deny
if ! "$cargo_deny" --version 2>/dev/null | grep -qx "cargo-deny $cargo_deny_version"; then
    step "installing cargo-deny $cargo_deny_version into target/tools (cargo install --locked --debug)"
    cargo install --locked --quiet --debug cargo-deny --version "$cargo_deny_version" --root target/tools
fi
step "cargo deny (licenses, bans, sources)"
# cargo-deny reads the whole graph, every platform's crates included (the builds above
# downloaded only this one's); fetch them first, then let it work offline.
cargo fetch --locked --quiet
"$cargo_deny" --offline --locked check licenses bans sources
# The advisory database is a git checkout of github.com/rustsec/advisory-db that cargo-deny
# fetches; this CI machine reaches only the package registries, so advisories run only from a
# copy already on disk (`cargo deny fetch` on a machine with network access).
advisory_db="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
if compgen -G "$advisory_db/*/crates" >/dev/null; then
    step "cargo deny (advisories, local database)"
    "$cargo_deny" --offline --locked check advisories
else
    step "cargo deny advisories skipped: no local RustSec database (GitHub is not reachable from CI; run \`cargo deny fetch\` where it is)"
fi

step "all checks passed in $((SECONDS - started))s"
