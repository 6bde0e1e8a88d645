"""The gateway (`otel-lp serve`) and rotel side by side under the same OTLP load.

Run through `bash benches/run.sh`, which builds otel-lp, installs rotel and passes its options
here. For each scenario the receivers take turns (gateway, rotel, gateway, rotel, ...), each turn
in a fresh process on free loopback ports, driven by `otel-lp generate`. Over a fixed window
after a warm-up the receiver's CPU comes from /proc/PID/stat (utime + stime, all threads) and its
memory from /proc/PID/status (VmRSS sampled every 0.25 s, VmHWM at the end). The result is one
table (ours, rotel, ratio) on stdout, and results.json, table.md and every process's log in the
output folder.

Python standard library only (3.9+).
"""

import argparse
import json
import os
import platform
import re
import signal
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone

CLK_TCK = os.sysconf("SC_CLK_TCK")
MIB = 1024 * 1024


@dataclass
class Scenario:
    """One load shape, run against each receiver in turn."""

    key: str
    title: str
    signal: str  # traces | logs | metrics
    protocol: str  # grpc | http/protobuf
    rate: int  # items/s, 0 = flat out
    receivers: tuple = ("gateway", "rotel")
    sink: bool = False  # the gateway writes to a loopback HTTP sink instead of /dev/null
    goal: bool = False  # the goal applies (CPU and RSS <= 0.5x rotel)
    workers: int = 4
    wal: str = ""  # the gateway's durable queue: "" (off) or its --wal-fsync policy
    baseline: str = ""  # a scenario key this one's rate is compared with (the cost of durability)


ITEMS = {"traces": "spans", "logs": "log records", "metrics": "data points"}

SCENARIOS = [
    Scenario("traces-grpc-10k", "traces, gRPC, 10k spans/s", "traces", "grpc", 10_000, goal=True),
    Scenario("traces-http-10k", "traces, HTTP/protobuf, 10k spans/s", "traces", "http/protobuf", 10_000, goal=True),
    Scenario("traces-grpc-10k-sink", "traces, gRPC, 10k spans/s, gateway -> loopback HTTP sink",
             "traces", "grpc", 10_000, receivers=("gateway",), sink=True),
    Scenario("logs-grpc-10k", "logs, gRPC, 10k records/s", "logs", "grpc", 10_000),
    Scenario("metrics-grpc-10k", "metrics, gRPC, 10k points/s", "metrics", "grpc", 10_000),
    Scenario("traces-grpc-max", "traces, gRPC, flat out", "traces", "grpc", 0, workers=8),
    # The cost of durability (issue 14): the durable queue needs a database, so these write to
    # the loopback sink, queue off and on with each fsync policy.
    Scenario("traces-grpc-max-sink", "traces, gRPC, flat out, -> sink, queue off",
             "traces", "grpc", 0, receivers=("gateway",), sink=True, workers=8),
    Scenario("traces-grpc-max-wal-group", "traces, gRPC, flat out, -> sink, queue group-commit",
             "traces", "grpc", 0, receivers=("gateway",), sink=True, workers=8,
             wal="group-commit", baseline="traces-grpc-max-sink"),
    Scenario("traces-grpc-max-wal-100ms", "traces, gRPC, flat out, -> sink, queue fsync every 100ms",
             "traces", "grpc", 0, receivers=("gateway",), sink=True, workers=8,
             wal="100ms", baseline="traces-grpc-max-sink"),
    Scenario("traces-grpc-max-wal-always", "traces, gRPC, flat out, -> sink, queue fsync always",
             "traces", "grpc", 0, receivers=("gateway",), sink=True, workers=8,
             wal="always", baseline="traces-grpc-max-sink"),
    Scenario("traces-http-max", "traces, HTTP/protobuf, flat out", "traces", "http/protobuf", 0, workers=8),
    Scenario("logs-grpc-max", "logs, gRPC, flat out", "logs", "grpc", 0, workers=8),
    Scenario("metrics-grpc-max", "metrics, gRPC, flat out", "metrics", "grpc", 0, workers=8),
]
QUICK = ["traces-grpc-10k", "traces-http-max"]


def log(message):
    print(message, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_ticks(pid):
    """utime + stime of every thread of the process, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        # The command name may hold spaces and parentheses: split after the last ')'.
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)


def memory_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                name, value = line.split(":")
                out[name] = int(value.split()[0])
    return out


def wait_for_port(port, process, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the receiver exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def stop(process, timeout=10.0):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


PROGRESS = re.compile(r"^\s*([\d.]+) s\s+(\d+) ")


def window_rate(stderr_text, start, end):
    """Items/s between the generator's progress lines closest to the window's edges."""
    points = []
    for line in stderr_text.splitlines():
        m = PROGRESS.match(line)
        if m:
            points.append((float(m.group(1)), int(m.group(2))))
    inside = [p for p in points if start - 0.6 <= p[0] <= end + 0.6]
    if len(inside) < 2:
        return None
    (t0, n0), (t1, n1) = inside[0], inside[-1]
    return (n1 - n0) / (t1 - t0) if t1 > t0 else None


def gateway_counters(http_port):
    """The gateway's item counters from GET /metrics (received, stored, rejected, refused)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=5) as r:
            text = r.read().decode()
    except OSError as err:
        return {"error": str(err)}
    out = {}
    for line in text.splitlines():
        m = re.match(r'otlp_receiver_(items_\w+|lines)_total\{signal="(\w+)"\} (\d+)', line)
        if m and int(m.group(3)):
            out[f"{m.group(1)}.{m.group(2)}"] = int(m.group(3))
        m = re.match(r"otlp_receiver_dropped_total\{(.*)\} (\d+)", line)
        if m:
            out[f"dropped{{{m.group(1)}}}"] = int(m.group(2))
    return out


def wait_for_empty_queue(http_port, timeout=120.0):
    """Polls the gateway's otlp_receiver_queue_records gauge until it is 0; False on timeout."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=5) as r:
                text = r.read().decode()
            m = re.search(r"^otlp_receiver_queue_records(?:\{[^}]*\})? (\d+)$", text, re.M)
            if m and int(m.group(1)) == 0:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


@dataclass
class Tools:
    otel_lp: str
    rotel: str
    python: str
    out: str
    warmup: float
    window: float
    max_warmup: float
    max_window: float
    env: dict = field(default_factory=dict)


def start_receiver(tools, scenario, receiver, grpc_port, http_port, tag, sink_port):
    logfile = open(os.path.join(tools.out, f"{tag}.{receiver}.log"), "wb")
    if receiver == "gateway":
        command = [tools.otel_lp, "serve", "--otlp-grpc", f"127.0.0.1:{grpc_port}",
                   "--otlp-http", f"127.0.0.1:{http_port}",
                   # rotel has no query side; nor does the gateway here
                   "--query-http", "off"]
        if scenario.sink:
            command += ["--endpoint", f"http://127.0.0.1:{sink_port}", "--database", "bench"]
            if scenario.wal:
                wal_dir = os.path.join(tools.out, f"{tag}.wal")
                shutil.rmtree(wal_dir, ignore_errors=True)
                command += ["--wal-dir", wal_dir, "--wal-fsync", scenario.wal]
        else:
            command += ["--output", "/dev/null"]
    else:
        command = [tools.rotel, "start", "--exporter", "blackhole",
                   "--otlp-grpc-endpoint", f"127.0.0.1:{grpc_port}",
                   "--otlp-http-endpoint", f"127.0.0.1:{http_port}",
                   "--pid-file", os.path.join(tools.out, "rotel.pid"),
                   "--log-file", os.path.join(tools.out, f"{tag}.rotel-agent.log")]
    process = subprocess.Popen(command, stdout=logfile, stderr=subprocess.STDOUT, env=tools.env,
                               cwd=tools.out)
    logfile.close()
    return process, command


def run_turn(tools, scenario, receiver, turn):
    tag = f"{scenario.key}.{turn}"
    grpc_port, http_port = free_port(), free_port()
    sink = sink_port = sink_counts = None
    if scenario.sink:
        sink_port = free_port()
        sink = subprocess.Popen([tools.python, os.path.join(os.path.dirname(__file__), "http_sink.py"),
                                 str(sink_port)], stdout=subprocess.PIPE, env=tools.env)
        wait_for_port(sink_port, sink)
    process, command = start_receiver(tools, scenario, receiver, grpc_port, http_port, tag, sink_port)
    generator = None
    try:
        wait_for_port(grpc_port, process)
        wait_for_port(http_port, process)
        flat_out = scenario.rate == 0
        warmup = tools.max_warmup if flat_out else tools.warmup
        window = tools.max_window if flat_out else tools.window
        port = grpc_port if scenario.protocol == "grpc" else http_port
        gen_command = [tools.otel_lp, "generate", scenario.signal,
                       "--endpoint", f"http://127.0.0.1:{port}", "--protocol", scenario.protocol,
                       "--batch-size", "100", "--workers", str(scenario.workers),
                       "--duration", f"{int((warmup + window + 1.0) * 1000)}ms", "--summary", "json"]
        if not flat_out:
            gen_command += ["--rate", str(scenario.rate)]
        gen_err = open(os.path.join(tools.out, f"{tag}.{receiver}.generate.log"), "w+")
        started = time.monotonic()
        load_before = loadavg()
        generator = subprocess.Popen(gen_command, stdout=subprocess.PIPE, stderr=gen_err,
                                     env=tools.env, text=True)
        time.sleep(max(0.0, started + warmup - time.monotonic()))
        t0, c0, g0 = time.monotonic(), cpu_ticks(process.pid), cpu_ticks(generator.pid)
        end = t0 + window
        rss = []
        while time.monotonic() < end:
            rss.append(memory_kib(process.pid)["VmRSS"])
            time.sleep(min(0.25, max(0.0, end - time.monotonic())))
        t1, c1, g1 = time.monotonic(), cpu_ticks(process.pid), cpu_ticks(generator.pid)
        memory = memory_kib(process.pid)
        rss.append(memory["VmRSS"])
        out, _ = generator.communicate(timeout=window + warmup + 60)
        gen_err.seek(0)
        progress = gen_err.read()
        gen_err.close()
        summary = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
        seconds = t1 - t0
        rate = window_rate(progress, t0 - started, t1 - started)
        result = {
            "scenario": scenario.key, "receiver": receiver, "turn": turn,
            "command": command, "generate": gen_command,
            "window_s": round(seconds, 3),
            "cpu_pct": 100.0 * (c1 - c0) / CLK_TCK / seconds,
            "generator_cpu_pct": 100.0 * (g1 - g0) / CLK_TCK / seconds,
            "rss_mean_mib": statistics.mean(rss) / 1024,
            "rss_max_mib": max(rss) / 1024,
            "hwm_mib": memory["VmHWM"] / 1024,
            "items_per_s_window": rate,
            "items_per_s_run": summary.get("items_per_second"),
            "items_sent": summary.get("items_sent"),
            "failed_requests": summary.get("failed_requests"),
            "errors": summary.get("errors"),
            "latency_ms": summary.get("latency_ms"),
            "generator_exit": generator.returncode,
            "loadavg_before": load_before, "loadavg_after": loadavg(),
        }
        if receiver == "gateway" and scenario.wal:
            # Acknowledged means on disk: wait until the queue has handed everything to the
            # sink before the counts are compared.
            drained = time.monotonic()
            empty = wait_for_empty_queue(http_port)
            result["queue_drain_s"] = round(time.monotonic() - drained, 2) if empty else None
        if receiver == "gateway":
            result["gateway"] = gateway_counters(http_port)
    finally:
        if generator is not None and generator.poll() is None:
            generator.kill()
            generator.wait()
        stop(process)
        if sink is not None:
            stop(sink)
            text = sink.stdout.read().decode().strip()
            sink_counts = json.loads(text) if text else None
    if sink is not None:
        result["sink"] = sink_counts
    return result


def check(result, scenario):
    """Problems with a turn that make its figures doubtful."""
    problems = []
    if result["failed_requests"]:
        problems.append(f"{result['failed_requests']} failed requests {result['errors']}")
    if result["generator_exit"] not in (0, None):
        problems.append(f"generate exited {result['generator_exit']}")
    rate = result["items_per_s_window"] or result["items_per_s_run"] or 0
    if scenario.rate and rate < 0.97 * scenario.rate:
        problems.append(f"only {rate:,.0f} {ITEMS[scenario.signal]}/s reached of {scenario.rate:,}")
    counters = result.get("gateway") or {}
    for name, value in counters.items():
        if name.startswith(("items_rejected", "items_refused", "dropped")) and value:
            problems.append(f"gateway {name} = {value}")
    stored = counters.get(f"items_stored.{scenario.signal}")
    if counters and "error" not in counters and stored != result["items_sent"]:
        problems.append(f"gateway stored {stored} {ITEMS[scenario.signal]}, generate counted {result['items_sent']}")
    sink, lines = result.get("sink"), counters.get(f"lines.{scenario.signal}")
    if scenario.wal and result.get("queue_drain_s") is None:
        problems.append("the durable queue did not drain within 120 s")
    if scenario.sink and (not sink or sink["lines"] != lines):
        problems.append(f"the sink got {sink and sink['lines']} lines, the gateway mapped {lines}")
    return problems


def mean(values):
    values = [v for v in values if v is not None]
    return statistics.mean(values) if values else None


def aggregate(results, scenario, receiver):
    turns = [r for r in results if r["scenario"] == scenario.key and r["receiver"] == receiver]
    if not turns:
        return None
    rate = mean([r["items_per_s_window"] or r["items_per_s_run"] for r in turns])
    cpu = mean([r["cpu_pct"] for r in turns])
    return {
        "turns": len(turns),
        "cpu_pct": cpu,
        "cpu_pct_turns": [round(r["cpu_pct"], 2) for r in turns],
        "rss_mean_mib": mean([r["rss_mean_mib"] for r in turns]),
        "hwm_mib": mean([r["hwm_mib"] for r in turns]),
        "hwm_mib_turns": [round(r["hwm_mib"], 1) for r in turns],
        "rate": rate,
        "rate_turns": [round(r["items_per_s_window"] or r["items_per_s_run"] or 0) for r in turns],
        "per_cpu_s": rate / (cpu / 100.0) if rate and cpu else None,
        "generator_cpu_pct": mean([r["generator_cpu_pct"] for r in turns]),
        "problems": sorted({p for r in turns for p in r.get("problems", [])}),
    }


def fmt(value, digits=1):
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def table(scenarios, results):
    """The summary rows: scenario, metric, ours, rotel, ratio (ours / rotel), goal."""
    rows = []
    rotel_by_shape = {}
    for s in scenarios:
        if "rotel" in s.receivers:
            rotel_by_shape[(s.signal, s.protocol, s.rate)] = aggregate(results, s, "rotel")
    for s in scenarios:
        ours = aggregate(results, s, "gateway")
        rotel = aggregate(results, s, "rotel") or rotel_by_shape.get((s.signal, s.protocol, s.rate))
        if ours is None and rotel is None:
            continue
        note = "" if "rotel" in s.receivers else " (rotel: blackhole, as above)"
        items = ITEMS[s.signal]
        if s.rate:
            metrics = [
                ("CPU, % of one core", "cpu_pct", 2, "<= 0.5" if s.goal else ""),
                ("RSS mean, MiB", "rss_mean_mib", 1, ""),
                ("RSS peak (VmHWM), MiB", "hwm_mib", 1, "<= 0.5" if s.goal else ""),
            ]
        else:
            metrics = [
                (f"{items}/s achieved", "rate", 0, ""),
                ("receiver CPU, % of one core", "cpu_pct", 1, ""),
                (f"{items} per receiver CPU-second", "per_cpu_s", 0, ""),
                ("RSS peak (VmHWM), MiB", "hwm_mib", 1, ""),
            ]
        if s.baseline:
            # The rate row compares with the baseline scenario instead of rotel.
            base = aggregate(results, next(b for b in SCENARIOS if b.key == s.baseline), "gateway")
            a, b = ours and ours.get("rate"), base and base.get("rate")
            rows.append([s.title, f"{items}/s vs queue off", fmt(a, 0), fmt(b, 0) + " (queue off)",
                         f"{a / b:.2f}x" if a and b else "-", ""])
            metrics = [m for m in metrics if m[1] != "rate"]
        for i, (label, key, digits, goal) in enumerate(metrics):
            a = ours and ours.get(key)
            b = rotel and rotel.get(key)
            ratio = a / b if a is not None and b else None
            verdict = ""
            if goal and ratio is not None:
                verdict = "met" if ratio <= 0.5 else "NOT met"
            rows.append([
                (s.title + note) if i == 0 and not s.baseline else "",
                label,
                fmt(a, digits),
                fmt(b, digits),
                f"{ratio:.2f}x" if ratio is not None else "-",
                f"{goal} {verdict}".strip(),
            ])
    return rows


def render(rows, markdown):
    header = ["scenario", "metric", "ours (otel-lp serve)", "rotel (blackhole)", "ours / rotel", "goal"]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    align = lambda r: "  ".join(
        (c.ljust(w) if i < 2 or i == 5 else c.rjust(w)) for i, (c, w) in enumerate(zip(r, widths))
    ).rstrip()
    lines = [align(header), "  ".join("-" * w for w in widths)]
    lines += [align(r) for r in rows]
    return "\n".join(lines)


def version(command):
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        return "?"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--otel-lp", required=True)
    p.add_argument("--rotel", required=True)
    p.add_argument("--out", required=True, help="folder for results.json, table.md and logs")
    p.add_argument("--turns", type=int, default=2, help="turns per receiver and scenario (2)")
    p.add_argument("--warmup", type=float, default=5.0, help="seconds before the window, fixed rate (5)")
    p.add_argument("--window", type=float, default=20.0, help="measured seconds, fixed rate (20)")
    p.add_argument("--max-warmup", type=float, default=2.0, help="seconds before the window, flat out (2)")
    p.add_argument("--max-window", type=float, default=10.0, help="measured seconds, flat out (10)")
    p.add_argument("--only", help="comma-separated scenario keys (default: all)")
    p.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    p.add_argument("--command", default="", help="the command line, for the report")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = p.parse_args()
    if args.list:
        for s in SCENARIOS:
            print(f"{s.key:24} {s.title}")
        return 0
    if args.quick:
        args.turns, args.warmup, args.window = 1, 1.0, 2.0
        args.max_warmup, args.max_window = 1.0, 2.0
        args.only = args.only or ",".join(QUICK)
    chosen = SCENARIOS
    if args.only:
        keys = [k.strip() for k in args.only.split(",") if k.strip()]
        unknown = [k for k in keys if k not in {s.key for s in SCENARIOS}]
        if unknown:
            p.error(f"unknown scenario(s) {', '.join(unknown)}; --list shows them")
        chosen = [s for s in SCENARIOS if s.key in keys]
    os.makedirs(args.out, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "ROTEL_"))}
    env["RUST_LOG"] = "warn"  # neither receiver logs per request; keep start-up chatter out too
    tools = Tools(os.path.abspath(args.otel_lp), os.path.abspath(args.rotel), sys.executable,
                  os.path.abspath(args.out), args.warmup, args.window, args.max_warmup,
                  args.max_window, env)
    started = datetime.now(timezone.utc)
    meta = {
        "date": started.strftime("%Y-%m-%d %H:%M UTC"),
        "command": args.command,
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, "
                   f"{next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?')}, "
                   f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB",
        "kernel": platform.release(),
        "otel_lp": version([tools.otel_lp, "--version"]),
        "rotel": version([tools.rotel, "--version"]),
        "loadavg_start": loadavg(),
        "turns": args.turns,
        "window_s": args.window, "warmup_s": args.warmup,
        "max_window_s": args.max_window, "max_warmup_s": args.max_warmup,
    }
    log(f"load test: {len(chosen)} scenario(s), {args.turns} turn(s) each; load average {meta['loadavg_start']}")
    results = []
    for s in chosen:
        for turn in range(1, args.turns + 1):
            for receiver in s.receivers:
                try:
                    r = run_turn(tools, s, receiver, turn)
                except Exception as err:  # one failed turn must not lose the others
                    log(f"  {s.key} {receiver} turn {turn}: FAILED: {err}")
                    results.append({"scenario": s.key, "receiver": receiver, "turn": turn,
                                    "error": str(err)})
                    continue
                r["problems"] = check(r, s)
                results.append(r)
                rate = r["items_per_s_window"] or r["items_per_s_run"] or 0
                log(f"  {s.key:22} {receiver:8} turn {turn}: CPU {r['cpu_pct']:6.2f}%  "
                    f"RSS mean {r['rss_mean_mib']:5.1f} MiB, peak {r['hwm_mib']:5.1f} MiB  "
                    f"{rate:>9,.0f} {ITEMS[s.signal]}/s  (generator {r['generator_cpu_pct']:.0f}%, "
                    f"load {r['loadavg_before']})"
                    + (f"  !! {'; '.join(r['problems'])}" if r["problems"] else ""))
    meta["loadavg_end"] = loadavg()
    ok = [r for r in results if "error" not in r]
    summary = {s.key: {rc: aggregate(ok, s, rc) for rc in s.receivers} for s in chosen}
    rows = table(chosen, ok)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "summary": summary, "turns": results}, f, indent=1)
    header = (f"{meta['date']}, {meta['machine']}; load average {meta['loadavg_start']} at the start, "
              f"{meta['loadavg_end']} at the end\n"
              f"{meta['otel_lp']} (release) vs {meta['rotel']}; {args.turns} turn(s) per receiver, taking turns; "
              f"fixed rate: {args.warmup:g} s warm-up + {args.window:g} s window; "
              f"flat out: {args.max_warmup:g} s + {args.max_window:g} s")
    problems = [f"{k} {rc}: {'; '.join(a['problems'])}" for k, v in summary.items()
                for rc, a in v.items() if a and a["problems"]]
    failed = [r for r in results if "error" in r]
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(header.replace("\n", "  \n") + "\n\n" + render(rows, True) + "\n")
        for line in problems:
            f.write(f"\n- doubtful: {line}")
    print()
    print(header)
    print()
    print(render(rows, False) if rows else "(no results)")
    for line in problems:
        print(f"doubtful: {line}")
    for r in failed:
        print(f"FAILED: {r['scenario']} {r['receiver']} turn {r['turn']}: {r['error']}")
    print(f"\nper-turn figures and logs: {args.out}")
    return 1 if failed or not ok else 0


if __name__ == "__main__":
    sys.exit(main())
