#!/usr/bin/env bash
# The headline benchmarks, side by side with what a user would pick instead (benches/README.md).
#
#   bash benches/run.sh                   # gateway vs rotel: every scenario, two turns each (~13 min)
#   bash benches/run.sh --quick           # smoke run: two scenarios, one short turn each (under a minute)
#   bash benches/run.sh --with-criterion  # and the crates' criterion benches, figures extracted
#   bash benches/run.sh --criterion-only  # only those
#   bash benches/run.sh --only traces-grpc-10k,traces-http-10k --turns 3 --window 30
#   bash benches/run.sh --list            # the scenarios
#
# 1. Builds `otel-lp` in release (once; cargo skips it when up to date).
# 2. Installs rotel (PyPI; the wheel ships the rotel-agent binary) into a virtualenv under
#    target/bench-peers (`OTEL_LP_BENCH_PEERS` overrides), pinned in benches/requirements.txt,
#    when missing or when the pins changed.
# 3. benches/loadtest.py: for each scenario the gateway (`otel-lp serve --output /dev/null`) and
#    rotel (`rotel-agent start --exporter blackhole`) take turns on free loopback ports, driven
#    by `otel-lp generate`; receiver CPU from /proc/PID/stat and RSS from /proc/PID/status over a
#    fixed window; one summary table on stdout; results.json, table.md and every log in
#    target/bench-results/<UTC time>/.
# 4. With --with-criterion: `cargo bench` of the encoder (lineproto vs influxdb-line-protocol),
#    the span, metrics and logs mappings (otlp-influx vs opentelemetry-proto) and the SDK exporter (sdk-exporter vs
#    opentelemetry-otlp), built with the release profile so they reuse step 1's artifacts; the
#    figures are extracted from criterion's results by benches/criterion_figures.py.
#
# Options not listed above go to benches/loadtest.py (`--help` there: --turns, --warmup,
# --window, --max-warmup, --max-window, --only). Not part of scripts/test.sh: benchmarks are
# not tests, and a load run on a shared machine is noisy; report the load average with it.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { printf 'benches/run.sh: %s\n' "$*" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*" >&2; }

command_line="bash benches/run.sh${*:+ $*}"
load=1
criterion=0
quick=0
passthrough=()
while [ $# -gt 0 ]; do
    case "$1" in
        --with-criterion) criterion=1 ;;
        --criterion-only) criterion=1; load=0 ;;
        --quick) quick=1; passthrough+=("$1") ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        --list) exec python3 benches/loadtest.py --otel-lp - --rotel - --out - --list ;;
        *) passthrough+=("$1") ;;
    esac
    shift
done

command -v cargo >/dev/null 2>&1 || die "cargo not found: install Rust (https://rustup.rs)"
command -v python3 >/dev/null 2>&1 || die "python3 not found (the harness and rotel's wheel need it)"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

results="target/bench-results/$(date -u +%Y%m%dT%H%M%SZ)"
status=0

if [ "$load" -eq 1 ]; then
    step "cargo build --release -p otel-lp"
    cargo build --release --locked -p otel-lp
    otel_lp=target/release/otel-lp
    [ -x "$otel_lp" ] || die "$otel_lp was not built"

    peers="${OTEL_LP_BENCH_PEERS:-target/bench-peers}"
    venv="$peers/venv"
    pins=benches/requirements.txt
    hash="$(sha256sum "$pins" | cut -d' ' -f1)"
    if [ ! -f "$venv/.stamp" ] || [ "$(cat "$venv/.stamp")" != "$hash" ]; then
        step "installing rotel ($pins) into $venv"
        rm -rf "$venv"
        mkdir -p "$peers"
        python3 -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
        "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$pins" \
            || die "pip install failed"
        printf '%s\n' "$hash" > "$venv/.stamp"
    fi
    rotel="$("$venv/bin/python" -c 'import os, rotel; print(os.path.join(os.path.dirname(rotel.__file__), "rotel-agent"))')"
    [ -x "$rotel" ] || die "the rotel wheel has no rotel-agent binary at $rotel"

    step "load test (${results})"
    # ${arr[@]+...}: an empty array is "unbound" to set -u on older bash.
    "$venv/bin/python" benches/loadtest.py --otel-lp "$otel_lp" --rotel "$rotel" \
        --out "$results" --command "$command_line" ${passthrough[@]+"${passthrough[@]}"} || status=$?
fi

if [ "$criterion" -eq 1 ]; then
    mkdir -p "$results"
    since="$(date +%s)"
    # The release profile (not `bench`, which adds debug info) shares step 1's dependencies.
    benches=("lineproto encode" "otlp-influx spans" "otlp-influx metrics" "otlp-influx logs" "sdk-exporter exporter")
    if [ "$quick" -eq 1 ]; then
        criterion_args=(--warm-up-time 0.2 --measurement-time 0.5 --sample-size 10)
    else
        criterion_args=()
    fi
    for pair in "${benches[@]}"; do
        read -r crate bench <<< "$pair"
        step "cargo bench -p $crate --bench $bench (log: $results/criterion-$bench.log)"
        cargo bench --profile release --locked -p "$crate" --bench "$bench" -- \
            ${criterion_args[@]+"${criterion_args[@]}"} > "$results/criterion-$bench.log" 2>&1 \
            || { tail -20 "$results/criterion-$bench.log" >&2; die "cargo bench -p $crate failed"; }
    done
    python3 benches/criterion_figures.py target/criterion "$results" --since "$since" | tee "$results/criterion.md"
fi
exit "$status"
