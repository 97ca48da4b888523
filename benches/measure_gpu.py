#!/usr/bin/env python3
"""What GPU sampling costs: CPU of vigil's sampling thread and the whole process, and memory
over time, with the stand-in NVML library (tests/nvml/fake_nvml.c) reporting many cards and
processes.

The scenario has --cards cards (default 8) and --processes real host processes (default 100,
`sleep` children of this script, so /proc lookups are real), spread over the cards, all with
per-process SM samples. vigil runs in tmux as the real TUI (read-only) with VIGIL_NVML_LIB
pointing at the library, and the script reads, from /proc:
  * the sampling thread's CPU time (/proc/PID/task/TID/schedstat, nanoseconds) over --window
    seconds, as a percentage of one core, and the time per sample;
  * the whole process's CPU time over the same window, against the same run with no NVML
    (the difference is what the GPU pane costs end to end: sampling, state, redraws);
  * RSS at the start of the window and after it, and once more with a fast interval
    (--fast-interval ms) that fills the history several times over, to show it is bounded.

Needs gcc and tmux. Run:

    cargo build --release && python3 benches/measure_gpu.py [--cards 8] [--processes 100]
        [--window 60] [--json results.json]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "tests", "nvml", "fake_nvml.c")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def sh(*args):
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {result.stderr}")
    return result.stdout


def build_library(directory):
    library = os.path.join(directory, "libnvidia-ml.so.1")
    sh("gcc", "-shared", "-fPIC", "-O2", "-o", library, SOURCE)
    return library


def scenario(cards, pids):
    lines = ["driver 550.54.15", "cuda 12040"]
    for index in range(cards):
        lines.append(
            f'gpu name="NVIDIA H100 80GB HBM3" uuid=GPU-{index:08x}-0000-1111-2222-333344445555 '
            f"util={50 + index} memutil={20 + index} mem_total=85899345920 mem_used=42949672960 "
            f"temp={60 + index} power_mw=450000 limit_mw=700000 fan=- sm_clock=1980 throttle=0x4 "
            f"ecc=1 ecc_uncorrected=0 mig=0 pci=00000000:{index:02x}:00.0"
        )
    for number, pid in enumerate(pids):
        lines.append(f"proc gpu={number % cards} pid={pid} used={(number + 1) << 26} sm={number % 100}")
    return "\n".join(lines) + "\n"


def vigil_pid(socket_name):
    for _ in range(200):
        out = subprocess.run(["pgrep", "-n", "-x", "vigil"], capture_output=True, text=True).stdout.split()
        if out:
            return int(out[0])
        time.sleep(0.05)
    raise RuntimeError("vigil did not start")


def sampler_thread(pid):
    for _ in range(200):
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().strip() == "vigil-sampler":
                    return int(tid)
        time.sleep(0.05)
    raise RuntimeError("no vigil-sampler thread")


def thread_ns(pid, tid):
    with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
        return int(f.read().split()[0])


def process_ns(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1_000_000_000 // CLOCK_TICKS


def rss_bytes(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE


def run_vigil(binary, env_extra, config_dir, window):
    """Starts vigil in tmux, waits for a warm-up, measures over `window` seconds."""
    socket_name = f"vigil-bench-gpu-{os.getpid()}-{time.monotonic_ns()}"
    env = dict(os.environ)
    env.update(env_extra)
    env["XDG_CONFIG_HOME"] = config_dir
    env["XDG_STATE_HOME"] = os.path.join(config_dir, "state")
    exports = " ".join(f"{k}='{v}'" for k, v in env_extra.items())
    command = f"env XDG_CONFIG_HOME='{config_dir}' XDG_STATE_HOME='{config_dir}/state' {exports} {binary} --read-only"
    sh("tmux", "-L", socket_name, "-f", "/dev/null", "new-session", "-d", "-x", "200", "-y", "50", "sh", "-c", command)
    try:
        pid = vigil_pid(socket_name)
        time.sleep(5)  # warm-up: first list, first samples, caches filled
        tid = sampler_thread(pid)
        t0, s0, p0, r0 = time.monotonic(), thread_ns(pid, tid), process_ns(pid), rss_bytes(pid)
        time.sleep(window)
        t1, s1, p1, r1 = time.monotonic(), thread_ns(pid, tid), process_ns(pid), rss_bytes(pid)
        elapsed = t1 - t0
        return {
            "sampler_core_percent": 100.0 * (s1 - s0) / 1e9 / elapsed,
            "process_core_percent": 100.0 * (p1 - p0) / 1e9 / elapsed,
            "sampler_ns_per_second": (s1 - s0) / elapsed,
            "rss_start_bytes": r0,
            "rss_end_bytes": r1,
        }
    finally:
        subprocess.run(["tmux", "-L", socket_name, "kill-server"], capture_output=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=8)
    parser.add_argument("--processes", type=int, default=100)
    parser.add_argument("--window", type=int, default=60)
    parser.add_argument("--fast-interval", type=int, default=100)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "vigil"))
    parser.add_argument("--json")
    args = parser.parse_args()

    children = [subprocess.Popen(["sleep", "100000"]) for _ in range(args.processes)]
    results = {"cards": args.cards, "processes": args.processes, "window_secs": args.window}
    try:
        with tempfile.TemporaryDirectory() as work:
            library = build_library(work)
            with open(library + ".scenario", "w") as f:
                f.write(scenario(args.cards, [c.pid for c in children]))
            config = os.path.join(work, "config")
            os.makedirs(os.path.join(config, "vigil"))

            print(f"{args.cards} cards, {args.processes} processes, 1 Hz, {args.window} s window …", flush=True)
            results["one_hz"] = run_vigil(args.binary, {"VIGIL_NVML_LIB": library}, config, args.window)
            print("same run without NVML (baseline) …", flush=True)
            missing = os.path.join(work, "missing", "libnvidia-ml.so.1")
            results["no_nvml"] = run_vigil(args.binary, {"VIGIL_NVML_LIB": missing}, config, args.window)

            with open(os.path.join(config, "vigil", "config.toml"), "w") as f:
                f.write(f"[gpu]\ninterval_ms = {args.fast_interval}\nhistory_secs = 30\n")
            print(f"history bound: {args.fast_interval} ms interval, 30 s history, {args.window} s …", flush=True)
            results["fast"] = run_vigil(args.binary, {"VIGIL_NVML_LIB": library}, config, args.window)
    finally:
        for child in children:
            child.kill()
        for child in children:
            child.wait()

    one = results["one_hz"]
    base = results["no_nvml"]
    fast = results["fast"]
    mib = 1 << 20
    print()
    print(f"sampling thread at 1 Hz: {one['sampler_core_percent']:.3f} % of a core "
          f"({one['sampler_ns_per_second'] / 1e6:.2f} ms per sample)")
    print(f"whole process at 1 Hz: {one['process_core_percent']:.2f} % of a core "
          f"(without NVML: {base['process_core_percent']:.2f} %)")
    print(f"RSS at 1 Hz: {one['rss_start_bytes'] / mib:.1f} MiB -> {one['rss_end_bytes'] / mib:.1f} MiB "
          f"over {args.window} s")
    samples = args.window * 1000 // args.fast_interval
    print(f"RSS at {args.fast_interval} ms ({samples} samples, history holds {30000 // args.fast_interval}): "
          f"{fast['rss_start_bytes'] / mib:.1f} MiB -> {fast['rss_end_bytes'] / mib:.1f} MiB; "
          f"sampler {fast['sampler_core_percent']:.2f} % of a core")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
