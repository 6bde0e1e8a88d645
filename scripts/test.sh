#!/usr/bin/env bash
# The project's test command: every check, from a fresh Debian machine of this kind.
# Installs Debian's `influxdb` package when `influxd` is missing (the integration tests start their
# own throwaway server on a free loopback port), then runs fmt, clippy and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v influxd >/dev/null 2>&1; then
    echo "scripts/test.sh: influxd not found, installing Debian's influxdb package" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq influxdb >/dev/null
fi
command -v influxd >/dev/null 2>&1 || { echo "scripts/test.sh: influxd is still missing" >&2; exit 1; }

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
