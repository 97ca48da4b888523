#!/usr/bin/env python3
"""Side-by-side measurement of vigil and, where installed, oxker and lazydocker.

What it measures, with N running containers on the local engine (default 100):
  * startup: time from launching the tool in tmux until container names are on screen, the
    median of several start-ups per tool taken round-robin (--startups);
  * idle CPU (% of one core) and RSS of the tool, from /proc, over an idle window;
  * Docker API requests per second while idle, counted by a Unix-socket proxy that sits
    between the tool and /var/run/docker.sock (DOCKER_HOST points the tool at it);
  * extra dockerd CPU while the tool idles, against a baseline window with no tool running;
  * key-press-to-redraw latency: time from `send-keys j` until the pane content changes.

It creates containers named vigil-test-bench-* and removes them at the end (also on error).
Run as root on a host with dockerd, tmux and busybox-static:

    cargo build --release && python3 benches/measure_tui.py [--containers 100] [--idle 30]
        [--startups 7] [--vigil-before PATH] [--oxker PATH] [--lazydocker PATH]
        [--json results.json]
"""

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
DOCKER_SOCKET = "/var/run/docker.sock"
IMAGE = "vigil-test-busybox:latest"
PREFIX = "vigil-test-bench"
REQUEST_LINE = re.compile(rb"(GET|POST|HEAD|PUT|DELETE) (/[^ ]*) HTTP/1\.[01]\r\n")


def sh(*args, check=True, capture=True):
    result = subprocess.run(args, check=False, capture_output=capture, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip() if capture else ""


class CountingProxy:
    """Forwards a Unix socket to the Docker socket and counts the HTTP requests sent."""

    def __init__(self, path):
        self.path = path
        self.requests = 0
        self.paths = {}
        self.lock = threading.Lock()
        if os.path.exists(path):
            os.unlink(path)
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            daemon = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            daemon.connect(DOCKER_SOCKET)
            threading.Thread(target=self._pump, args=(client, daemon, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(daemon, client, False), daemon=True).start()

    def _pump(self, source, sink, count):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if count:
                    with self.lock:
                        for match in REQUEST_LINE.finditer(data):
                            self.requests += 1
                            key = re.sub(rb"[0-9a-f]{64}", b"<id>", match.group(2).split(b"?")[0])
                            key = re.sub(rb"^/v[0-9.]+", b"", key).decode(errors="replace")
                            self.paths[key] = self.paths.get(key, 0) + 1
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def count(self):
        with self.lock:
            return self.requests

    def close(self):
        self.server.close()
        if os.path.exists(self.path):
            os.unlink(self.path)


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_pids(pid):
    pids = [pid]
    for child in open(f"/proc/{pid}/task/{pid}/children").read().split():
        pids.extend(tree_pids(int(child)))
    return pids


def tree_cpu(pid):
    return sum(cpu_seconds(p) for p in tree_pids(pid))


def tree_rss_kib(pid):
    total = 0
    for p in tree_pids(pid):
        for line in open(f"/proc/{p}/status"):
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def dockerd_pid():
    return int(sh("pidof", "dockerd").split()[0])


def ensure_image():
    root = tempfile.mkdtemp()
    os.makedirs(f"{root}/bin")
    os.makedirs(f"{root}/www")
    os.makedirs(f"{root}/tmp")
    shutil.copy("/bin/busybox", f"{root}/bin/busybox")
    for applet in ("sh", "httpd", "sleep", "cat", "echo", "wget", "nc"):
        os.symlink("busybox", f"{root}/bin/{applet}")
    with open(f"{root}/www/index.html", "w") as f:
        f.write("<html>vigil test</html>\n")
    tar = f"{root}.tar"
    sh("tar", "-C", root, "-cf", tar, ".")
    sh("docker", "import", tar, IMAGE)
    shutil.rmtree(root)
    os.unlink(tar)


def create_containers(count):
    def start(i):
        name = f"{PREFIX}-{i:03d}"
        bind = "0.0.0.0::80" if i % 10 == 0 else "127.0.0.1::80"
        # Docker 20.10 tracks random host ports per bind address, so a 0.0.0.0 binding can be
        # handed a port a 127.0.0.1 binding already holds ("address already in use"): try again.
        for attempt in range(5):
            try:
                sh("docker", "run", "-d", "--name", name, "-p", bind, IMAGE,
                   "/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www")
                return
            except RuntimeError as err:
                if "address already in use" not in str(err) or attempt == 4:
                    raise
                sh("docker", "rm", "-f", name, check=False)

    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(start, range(count)))


def remove_containers():
    names = sh("docker", "ps", "-aq", "--filter", f"name=^{PREFIX}-").split()
    for i in range(0, len(names), 100):
        sh("docker", "rm", "-f", *names[i:i + 100], check=False)


class Pane:
    created = 0

    def __init__(self, command, env):
        Pane.created += 1
        self.socket = f"vigil-bench-{os.getpid()}-{Pane.created}"
        exports = " ".join(f"{k}='{v}'" for k, v in env.items())
        self.started = time.perf_counter()
        # Started outside any git repository: this measures the container view (the tools
        # compared here have no timeline or secret scan); measure_timeline.py and
        # measure_secrets.py cover those.
        sh("tmux", "-L", self.socket, "-f", "/dev/null", "new-session", "-d", "-s", "bench",
           "-c", tempfile.gettempdir(),
           "-x", "200", "-y", "50", f"exec env {exports} {command}")

    def capture(self):
        return sh("tmux", "-L", self.socket, "capture-pane", "-p", "-e", "-t", "bench")

    def pid(self):
        return int(sh("tmux", "-L", self.socket, "display-message", "-p", "-t", "bench", "#{pane_pid}"))

    def keys(self, *keys):
        sh("tmux", "-L", self.socket, "send-keys", "-t", "bench", *keys)

    def wait_for(self, needle, timeout=20.0):
        while time.perf_counter() - self.started < timeout:
            if needle in self.capture():
                return time.perf_counter() - self.started
            time.sleep(0.002)
        raise RuntimeError(f"'{needle}' not on screen after {timeout}s:\n{self.capture()}")

    def close(self):
        sh("tmux", "-L", self.socket, "kill-server", check=False)


def tmux_baseline_ms(repeats=5):
    """How long tmux itself takes to start a pane and show a line: subtracted from start-up."""
    samples = []
    for _ in range(repeats):
        pane = Pane(f"sh -c 'echo {PREFIX}; sleep 30'", {"TERM": "xterm-256color"})
        try:
            samples.append(pane.wait_for(PREFIX) * 1000)
        finally:
            pane.close()
    return statistics.median(samples)


def capture_cost_ms(repeats=20):
    """Cost of one capture-pane round trip, the resolution of the key latency measurement."""
    pane = Pane("sh -c 'echo ready; sleep 30'", {"TERM": "xterm-256color"})
    try:
        pane.wait_for("ready")
        started = time.perf_counter()
        for _ in range(repeats):
            pane.capture()
        return (time.perf_counter() - started) / repeats * 1000
    finally:
        pane.close()


def key_latencies(pane, presses):
    samples = []
    for i in range(presses):
        before = pane.capture()
        key = "j" if (i // 5) % 2 == 0 else "k"
        sent = time.perf_counter()
        pane.keys(key)
        while True:
            if pane.capture() != before:
                samples.append((time.perf_counter() - sent) * 1000)
                break
            if time.perf_counter() - sent > 2:
                break
        time.sleep(0.05)
    return samples


def tool_env(proxy_path, home):
    return {
        "DOCKER_HOST": f"unix://{proxy_path}",
        "HOME": home,
        "XDG_CONFIG_HOME": f"{home}/config",
        "XDG_STATE_HOME": f"{home}/state",
        "TERM": "xterm-256color",
    }


def startup_samples(tools, proxy_path, rounds):
    """Start-up of every tool `rounds` times, round-robin, so background load hits all alike."""
    samples = {label: [] for label, _ in tools}
    for _ in range(rounds):
        for label, command in tools:
            home = tempfile.mkdtemp()
            proxy = CountingProxy(proxy_path)
            pane = Pane(command, tool_env(proxy_path, home))
            try:
                samples[label].append(pane.wait_for(PREFIX) * 1000)
            finally:
                pane.close()
                proxy.close()
                shutil.rmtree(home, ignore_errors=True)
            time.sleep(1)
    return samples


def measure(label, command, proxy_path, idle_seconds, baseline_dockerd_pct, presses):
    home = tempfile.mkdtemp()
    env = tool_env(proxy_path, home)
    proxy = CountingProxy(proxy_path)
    pane = Pane(command, env)
    try:
        startup = min(pane.wait_for(PREFIX), 60.0)
        pid = pane.pid()
        time.sleep(10)  # let start-up work (inspects, probes, caches) finish
        dockerd = dockerd_pid()
        cpu0, dcpu0, req0, t0 = tree_cpu(pid), cpu_seconds(dockerd), proxy.count(), time.perf_counter()
        rss = []
        while time.perf_counter() - t0 < idle_seconds:
            rss.append(tree_rss_kib(pid))
            time.sleep(1)
        elapsed = time.perf_counter() - t0
        cpu1, dcpu1, req1 = tree_cpu(pid), cpu_seconds(dockerd), proxy.count()
        latencies = key_latencies(pane, presses)
        print(f"{label} key samples (ms): {[round(x, 1) for x in latencies]}", file=sys.stderr)
        return {
            "tool": label,
            "startup_ms": round(startup * 1000, 1),
            "idle_cpu_pct": round((cpu1 - cpu0) / elapsed * 100, 2),
            "rss_mib": round(max(rss) / 1024, 1),
            "api_requests_per_s": round((req1 - req0) / elapsed, 2),
            "dockerd_extra_cpu_pct": round((dcpu1 - dcpu0) / elapsed * 100 - baseline_dockerd_pct, 2),
            "key_redraw_ms_median": round(statistics.median(latencies), 1) if latencies else None,
            "key_redraw_ms_p95": round(sorted(latencies)[int(len(latencies) * 0.95) - 1], 1) if latencies else None,
            "requests_by_path": dict(sorted(proxy.paths.items(), key=lambda kv: -kv[1])[:6]),
            "requests_total": proxy.count(),
        }
    finally:
        pane.close()
        proxy.close()
        shutil.rmtree(home, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--containers", type=int, default=100)
    parser.add_argument("--idle", type=int, default=30, help="seconds of idle sampling per tool")
    parser.add_argument("--presses", type=int, default=30)
    parser.add_argument("--vigil", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "vigil"))
    parser.add_argument("--vigil-before", help="another vigil build, measured in the same run as \"vigil (before)\"")
    parser.add_argument("--oxker", default=shutil.which("oxker"))
    parser.add_argument("--lazydocker", default=shutil.which("lazydocker"))
    parser.add_argument("--startups", type=int, default=7,
                        help="start-ups per tool, round-robin; the median is reported")
    parser.add_argument("--json")
    args = parser.parse_args()

    tools = [("vigil", os.path.abspath(args.vigil))]
    if args.vigil_before:
        tools.append(("vigil (before)", os.path.abspath(args.vigil_before)))
    if args.oxker:
        tools.append(("oxker", args.oxker))
    if args.lazydocker:
        tools.append(("lazydocker", args.lazydocker))

    remove_containers()
    ensure_image()
    try:
        started = time.perf_counter()
        create_containers(args.containers)
        print(f"created {args.containers} running containers in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        time.sleep(5)
        dockerd = dockerd_pid()
        d0, t0 = cpu_seconds(dockerd), time.perf_counter()
        time.sleep(args.idle)
        baseline = (cpu_seconds(dockerd) - d0) / (time.perf_counter() - t0) * 100
        print(f"dockerd baseline {baseline:.2f}% of a core", file=sys.stderr)
        tmux_ms = tmux_baseline_ms()
        capture_ms = capture_cost_ms()
        print(f"tmux start-up baseline {tmux_ms:.1f} ms, capture-pane {capture_ms:.1f} ms", file=sys.stderr)
        results = []
        proxy_path = f"/tmp/vigil-bench-{os.getpid()}.sock"
        print(f"{args.startups} start-ups per tool, round-robin ...", file=sys.stderr)
        starts = startup_samples(tools, proxy_path, args.startups)
        for label, command in tools:
            print(f"measuring {label} ...", file=sys.stderr)
            result = measure(label, command, proxy_path, args.idle, baseline, args.presses)
            samples = starts[label] + [result["startup_ms"]]
            result["startup_samples_ms"] = [round(x, 1) for x in samples]
            result["startup_ms"] = round(statistics.median(samples), 1)
            results.append(result)
    finally:
        remove_containers()

    print(f"\n{args.containers} running containers, {args.idle} s idle window, "
          f"{os.cpu_count()} cores, dockerd baseline {baseline:.2f}% of a core, "
          f"tmux start-up {tmux_ms:.1f} ms (subtracted), capture-pane {capture_ms:.1f} ms (included in key latency)\n")
    print("| tool | names on screen | idle CPU (% core) | RSS | Docker API req/s idle | extra dockerd CPU | key→redraw median / p95 |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        r["startup_net_ms"] = round(r["startup_ms"] - tmux_ms, 1)
        print(f"| {r['tool']} | {r['startup_net_ms']} ms | {r['idle_cpu_pct']} % | {r['rss_mib']} MiB | "
              f"{r['api_requests_per_s']} | {r['dockerd_extra_cpu_pct']} points | "
              f"{r['key_redraw_ms_median']} / {r['key_redraw_ms_p95']} ms |")
    for r in results:
        print(f"\n{r['tool']} requests by path during the run: {r['requests_by_path']}")
        if r["requests_total"] == 0:
            print(f"WARNING: {r['tool']} sent nothing through the counting proxy (ignored DOCKER_HOST?)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"containers": args.containers, "baseline_dockerd_pct": baseline, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
