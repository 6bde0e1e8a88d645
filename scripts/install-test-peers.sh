#!/usr/bin/env bash
# Installs the third-party programs the tests drive, from the package registries, into one
# folder outside the source tree (default: target/test-peers; `OTEL_LP_TEST_PEERS` overrides):
#
#   venv/   a Python virtualenv with the OpenTelemetry Python SDK and its OTLP exporters,
#           roapi (an Arrow Flight SQL server) and pyarrow, pinned in
#           scripts/test-peers/requirements.txt
#   npm/    the OpenTelemetry JS SDK's OTLP exporters, pinned in scripts/test-peers/package-lock.json
#
# Each part is reinstalled only when its pin file changed (a stamp holds the file's hash).
# Tests find the folder through `test_support::peers` (the same variable and default).
#
#   bash scripts/install-test-peers.sh            # both
#   bash scripts/install-test-peers.sh python     # one part
set -euo pipefail
cd "$(dirname "$0")/.."
pins=scripts/test-peers
dest="${OTEL_LP_TEST_PEERS:-target/test-peers}"
mkdir -p "$dest"

die() { printf 'install-test-peers: %s\n' "$*" >&2; exit 1; }
# True when the stamp beside $1's install matches the hash of pin file $2.
fresh() { [ -f "$1/.stamp" ] && [ "$(cat "$1/.stamp")" = "$(sha256sum "$2" | cut -d' ' -f1)" ]; }
stamp() { sha256sum "$2" | cut -d' ' -f1 > "$1/.stamp"; }

install_python() {
    local venv="$dest/venv"
    if fresh "$venv" "$pins/requirements.txt"; then return; fi
    command -v python3 >/dev/null 2>&1 || die "python3 not found (the Python OTLP exporters need it)"
    echo "install-test-peers: Python OpenTelemetry SDK and exporters, roapi, pyarrow into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
        -r "$pins/requirements.txt" || die "pip install failed"
    stamp "$venv" "$pins/requirements.txt"
}

install_npm() {
    local npm_dir="$dest/npm"
    if fresh "$npm_dir" "$pins/package-lock.json"; then return; fi
    command -v npm >/dev/null 2>&1 || die "npm not found (the JS OTLP exporters need Node.js and npm)"
    echo "install-test-peers: JS OpenTelemetry exporters into $npm_dir"
    rm -rf "$npm_dir"
    mkdir -p "$npm_dir"
    cp "$pins/package.json" "$pins/package-lock.json" "$npm_dir/"
    # No install scripts: none of these packages needs one to run.
    (cd "$npm_dir" && npm ci --silent --no-audit --no-fund --ignore-scripts) || die "npm ci failed"
    stamp "$npm_dir" "$pins/package-lock.json"
}

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(python npm)
for part in "${parts[@]}"; do
    case "$part" in
        python) install_python ;;
        npm) install_npm ;;
        *) die "unknown part \`$part\` (python, npm)" ;;
    esac
done
