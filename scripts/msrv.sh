#!/usr/bin/env bash
# Checks the workspace under its minimum supported Rust version, `rust-version` in Cargo.toml:
#
#   bash scripts/msrv.sh
#
# Installs that toolchain with rustup when missing (`--profile minimal`, about 550 MB, ~1 min
# from static.rust-lang.org) and runs `cargo +<msrv> check --workspace --all-targets --locked`.
# Not part of scripts/test.sh: it is a second cold build of the whole dependency graph under
# another compiler (see README, "Minimum supported Rust version").
set -euo pipefail
cd "$(dirname "$0")/.."

msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
[ -n "$msrv" ] || { echo "scripts/msrv.sh: no rust-version in Cargo.toml" >&2; exit 1; }
command -v rustup >/dev/null 2>&1 || { echo "scripts/msrv.sh: rustup is needed to install Rust $msrv" >&2; exit 1; }

rustup run "$msrv" cargo --version >/dev/null 2>&1 || rustup toolchain install "$msrv" --profile minimal
export CARGO_INCREMENTAL=0
started=$SECONDS
cargo "+$msrv" check --workspace --all-targets --locked
echo "Rust $msrv: the workspace checks ($((SECONDS - started))s)"
