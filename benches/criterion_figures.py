"""The figures of the crates' criterion benches, side by side with the library a user would pick
instead, as one markdown table (what `bash benches/run.sh --with-criterion` prints).

    python3 benches/criterion_figures.py target/criterion RESULTS_DIR [--since EPOCH_SECONDS]

Reads criterion's own results (`<group>/<function>/new/benchmark.json` and `estimates.json`:
the mean time per iteration and the throughput the bench declared), so nothing depends on the
text criterion prints. For each group whose reference is known, `speed-up` is the reference's
time over this function's time. The sdk-exporter bench's own report (CPU time and allocations
per span, whole process, by exporter) is copied from its log in RESULTS_DIR.
"""

import json
import os
import sys

# group -> the function that stands for what a user would pick instead
REFERENCES = {
    "span_line": "influxdb_line_protocol_builder",
    "metric_line": "influxdb_line_protocol_builder",
    "span_line_1kib_json": "influxdb_line_protocol_builder",
    "spans": "opentelemetry-proto: SpanData -> OTLP protobuf",
    "metrics": "opentelemetry-proto: ResourceMetrics -> OTLP protobuf",
    "metrics-many": "opentelemetry-proto: ResourceMetrics -> OTLP protobuf",
    "logs": "opentelemetry-proto: SdkLogRecord -> OTLP protobuf",
    "export_512_spans": "otlp_http_protobuf",
}
# In the mapping groups, the receiver's rows (a request's protobuf bytes to lines) are compared
# with what the receiver replaces, prost's decoding plus the mapping, not with the exporter's path.
RECEIVER_REFERENCE = "prost decode + otlp-influx: OTLP protobuf bytes -> line protocol"
# A decoded request mapped to lines has neither reference: it stands alone, as the mapping's share.
DECODED_ROW = "OTLP request -> line protocol"


def reference_for(group, name, functions):
    """The entry that `name`'s speed-up is measured against, or None."""
    task = name.split(": ", 1)[-1]
    if task.startswith(DECODED_ROW):
        return None
    if RECEIVER_REFERENCE in functions and task.startswith("OTLP protobuf bytes"):
        return functions[RECEIVER_REFERENCE]
    return functions.get(REFERENCES.get(group, ""))


BENCHES = [
    ("lineproto encoder vs influxdb-line-protocol (`cargo bench -p lineproto --bench encode`)",
     ["span_line", "metric_line", "span_line_1kib_json"]),
    ("otlp-influx span mapping vs opentelemetry-proto (`cargo bench -p otlp-influx --bench spans`)",
     ["spans"]),
    ("otlp-influx metrics mapping vs opentelemetry-proto (`cargo bench -p otlp-influx --bench metrics`)",
     ["metrics", "metrics-many"]),
    ("otlp-influx logs mapping vs opentelemetry-proto (`cargo bench -p otlp-influx --bench logs`)",
     ["logs"]),
    ("sdk-exporter vs opentelemetry-otlp, 512-span batches over loopback HTTP "
     "(`cargo bench -p sdk-exporter --bench exporter`)", ["export_512_spans"]),
]


def load(root, since):
    found = {}
    for dirpath, _, files in os.walk(root):
        if os.path.basename(dirpath) != "new" or "benchmark.json" not in files:
            continue
        path = os.path.join(dirpath, "estimates.json")
        if not os.path.exists(path) or os.path.getmtime(path) < since:
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        with open(path) as f:
            estimates = json.load(f)
        found.setdefault(bench["group_id"], {})[bench["function_id"]] = {
            "ns": estimates["mean"]["point_estimate"],
            "throughput": bench.get("throughput") or {},
        }
    return found


def per_unit(entry):
    throughput = entry["throughput"]
    ns = entry["ns"]
    if "Elements" in throughput:
        n = throughput["Elements"]
        return f"{ns / n:,.0f} ns/item, {n / ns * 1e3:,.2f} M items/s"
    if "Bytes" in throughput:
        return f"{throughput['Bytes'] / ns * 1e3:,.0f} MB/s"
    return ""


def human(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:,.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:,.2f} us"
    return f"{ns:,.0f} ns"


def main():
    root, results = sys.argv[1], sys.argv[2]
    since = float(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--since" else 0.0
    found = load(root, since)
    for title, groups in BENCHES:
        present = [g for g in groups if g in found]
        if not present:
            continue
        print(f"\n{title}\n")
        print("| group | function | mean per iteration | per item | speed-up vs reference (receiver rows: vs prost + mapping) |")
        print("|---|---|---|---|---|")
        for group in present:
            functions = found[group]
            for name, entry in sorted(functions.items(), key=lambda kv: kv[1]["ns"]):
                reference = reference_for(group, name, functions)
                if reference is None:
                    speedup = "-"
                elif entry is reference:
                    speedup = "(reference)"
                else:
                    speedup = f"{reference['ns'] / entry['ns']:.2f}x"
                print(f"| {group} | {name} | {human(entry['ns'])} | {per_unit(entry)} | {speedup} |")
    # Groups nobody listed yet (a new bench): their times, without a reference.
    others = sorted(set(found) - {g for _, groups in BENCHES for g in groups})
    if others:
        print("\nOther criterion groups measured in this run\n")
        print("| group | function | mean per iteration | per item |")
        print("|---|---|---|---|")
        for group in others:
            for name, entry in sorted(found[group].items()):
                print(f"| {group} | {name} | {human(entry['ns'])} | {per_unit(entry)} |")
    log = os.path.join(results, "criterion-exporter.log")
    if os.path.exists(log):
        with open(log) as f:
            lines = f.read().splitlines()
        start = next((i for i, l in enumerate(lines) if l.startswith("CPU time and allocations")), None)
        if start is not None:
            print("\nsdk-exporter's own report (CPU and allocations per span, whole process):\n")
            print("```")
            for line in lines[start:]:
                if line.strip() and not line.startswith(("  ", "CPU")):
                    break
                print(line)
            print("```")
    if not found:
        print(f"no criterion results newer than the run in {root}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
