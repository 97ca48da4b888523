#!/usr/bin/env python3
"""How long the incident report takes.

  * `R` in the TUI, with the panes holding their data (100 containers, a 10,000-commit history
    with an intrusion burst, the secret scan done): the time vigil reports in its status line,
    from the key to the file written, over several presses. Target: under 1 s, with no scan run
    again.
  * `vigil report` from the command line, which gathers everything afresh (list, inspect,
    probes, secret scan of tree, history and containers, timeline), for comparison.

Creates containers named vigil-test-bench-* and removes them at the end (also on error).
Needs Docker, tmux, git and busybox-static. Run:

    cargo build --release && python3 benches/measure_report.py [--containers 100] [--commits 10000]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import measure_timeline  # noqa: E402  (the repository generator)
import measure_tui  # noqa: E402  (the container helpers)

VIGIL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "vigil")
WRITTEN = re.compile(r"incident report written to (\S+) \((\d+) ms\)")


def tmux(socket, *args):
    return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True).stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--containers", type=int, default=100)
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--presses", type=int, default=5)
    args = parser.parse_args()

    measure_tui.ensure_image()
    measure_tui.remove_containers()
    with tempfile.TemporaryDirectory() as work:
        repo = os.path.join(work, "repo")
        state = os.path.join(work, "state")
        measure_timeline.generate(repo, args.commits)
        try:
            measure_tui.create_containers(args.containers)
            socket = f"vigil-bench-report-{os.getpid()}"
            command = f"env XDG_STATE_HOME={state} XDG_CACHE_HOME={work}/cache {VIGIL} --repo {repo}"
            tmux(socket, "-f", "/dev/null", "new-session", "-d", "-s", "r", "-c", work,
                 "-x", "200", "-y", "50", command)
            try:
                deadline = time.time() + 180
                while time.time() < deadline:
                    screen = tmux(socket, "capture-pane", "-p", "-t", "r")
                    if "safe state" in screen and re.search(r"\d+ findings", screen) \
                            and "scanning" not in screen:
                        break
                    time.sleep(0.5)
                else:
                    raise RuntimeError("the panes did not get their data:\n" + screen)
                time.sleep(2)
                times = []
                for _ in range(args.presses):
                    before = tmux(socket, "capture-pane", "-p", "-t", "r")
                    tmux(socket, "send-keys", "-t", "r", "R")
                    for _ in range(100):
                        screen = tmux(socket, "capture-pane", "-p", "-t", "r")
                        found = WRITTEN.search(screen)
                        if found and screen != before:
                            times.append(int(found.group(2)))
                            break
                        time.sleep(0.05)
                    time.sleep(1.1)  # one file per second: the name has the time
                path = WRITTEN.search(screen).group(1)
                size = os.path.getsize(path)
            finally:
                subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)

            started = time.perf_counter()
            subprocess.run([VIGIL, "report", "--repo", repo, "--output", os.path.join(work, "cli.md")],
                           check=True, capture_output=True,
                           env=dict(os.environ, XDG_STATE_HOME=state, XDG_CACHE_HOME=f"{work}/cache"))
            cli = time.perf_counter() - started
        finally:
            measure_tui.remove_containers()

    print(f"{args.containers} containers, {args.commits} commits")
    print(f"R in the TUI: {times} ms (median {statistics.median(times)} ms), report {size} bytes")
    print(f"vigil report from the command line (gathers everything again): {cli:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
