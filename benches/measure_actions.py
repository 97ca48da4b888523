#!/usr/bin/env python3
"""Measures vigil's remediation actions against the work Docker and the kernel do themselves.

  * plan latency in the TUI: `s` pressed -> plan popup on screen (inspect included), via tmux;
  * stop: `vigil stop --yes` wall time vs `docker stop` of an identical container;
  * block: `vigil block --yes` wall time vs the bare `nft add element` it performs.

Creates vigil-test-bench-act-* containers and a private nftables table, removes both at the end.
Run as root:  cargo build --release && python3 benches/measure_actions.py [--rounds 10]
"""

import argparse
import os
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VIGIL = os.path.join(HERE, "..", "target", "release", "vigil")
IMAGE = "vigil-test-busybox:latest"
TABLE = f"vigil_bench_{os.getpid()}"


def sh(*args, env=None):
    started = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{args}: {result.stderr}")
    return time.perf_counter() - started


def container(name):
    sh("docker", "run", "-d", "--init", "--name", name, "-p", "127.0.0.1::80", IMAGE,
       "/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www")


def median_ms(samples):
    return round(statistics.median(samples) * 1000, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    state = tempfile.mkdtemp()
    env = dict(os.environ, XDG_STATE_HOME=state, VIGIL_NFT_TABLE=TABLE)
    names = []
    stop_vigil, stop_docker, block_vigil, block_nft, plan_tui = [], [], [], [], []
    try:
        for i in range(args.rounds):
            a, b = f"vigil-test-bench-act-{i}-a", f"vigil-test-bench-act-{i}-b"
            names += [a, b]
            container(a)
            container(b)
            time.sleep(0.3)
            stop_vigil.append(sh(VIGIL, "stop", a, "--yes", env=env))
            stop_docker.append(sh("docker", "stop", b))
            port = str(40000 + i)
            block_vigil.append(sh(VIGIL, "block", port, "--yes", env=env))
            block_nft.append(sh("nft", "add", "element", "inet", TABLE, "blocked_tcp", f"{{ {int(port) + 1000} }}"))

        # Plan latency in the TUI: key press to plan on screen.
        running = "vigil-test-bench-act-tui"
        names.append(running)
        container(running)
        socket = f"vigil-bench-act-{os.getpid()}"
        sh("tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", "b", "-x", "200", "-y", "50",
           f"exec env XDG_STATE_HOME={state} {VIGIL}")
        time.sleep(2)
        sh("tmux", "-L", socket, "send-keys", "-t", "b", "/")
        sh("tmux", "-L", socket, "send-keys", "-t", "b", "-l", running)
        sh("tmux", "-L", socket, "send-keys", "-t", "b", "Enter")
        time.sleep(0.5)
        for _ in range(args.rounds):
            started = time.perf_counter()
            sh("tmux", "-L", socket, "send-keys", "-t", "b", "s")
            while "Proceed?" not in subprocess.run(["tmux", "-L", socket, "capture-pane", "-p", "-t", "b"],
                                                   capture_output=True, text=True).stdout:
                if time.perf_counter() - started > 5:
                    raise RuntimeError("plan did not appear")
            plan_tui.append(time.perf_counter() - started)
            sh("tmux", "-L", socket, "send-keys", "-t", "b", "n")
            time.sleep(0.2)
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
    finally:
        for i in range(0, len(names), 50):
            subprocess.run(["docker", "rm", "-f", *names[i:i + 50]], capture_output=True)
        subprocess.run(["nft", "delete", "table", "inet", TABLE], capture_output=True)

    print(f"{args.rounds} rounds, medians:")
    print("| measurement | vigil | the underlying work | vigil's own share |")
    print("|---|---|---|---|")
    print(f"| plan popup after `s` (tmux, inspect included) | {median_ms(plan_tui)} ms | - | - |")
    print(f"| stop (`vigil stop --yes` vs `docker stop`) | {median_ms(stop_vigil)} ms | {median_ms(stop_docker)} ms | "
          f"{round(median_ms(stop_vigil) - median_ms(stop_docker), 1)} ms |")
    print(f"| block (`vigil block --yes` vs `nft add element`) | {median_ms(block_vigil)} ms | {median_ms(block_nft)} ms | "
          f"{round(median_ms(block_vigil) - median_ms(block_nft), 1)} ms |")


if __name__ == "__main__":
    main()
