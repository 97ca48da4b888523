#!/usr/bin/env python3
"""Measures the commit timeline on generated repositories.

Generates a repository (default 10,000 commits by a dozen identities over two years, files of
varying size, lock-file rewrites, an intrusion burst near the end) with `git fast-import`, then
measures, best of N:

  * metadata: `vigil scan timeline --no-line-counts --no-secrets` (every commit read, every
    metadata signal computed), with peak memory;
  * the line-count pass: `vigil scan timeline --no-secrets --no-cache` minus the metadata run,
    against `git log --all --numstat` on the same repository, and the ratio;
  * the second run, with the cache filled: `vigil scan timeline --no-secrets`;
  * the pane: time from launching `vigil --repo R` in tmux until pane 3 shows the commit count
    (tmux's own start-up, measured alone, subtracted);
  * memory on a 100,000-commit repository (`--big`), whole scan with line counts.

Run:  cargo build --release && python3 benches/measure_timeline.py [--commits 10000] [--big]
Needs git and tmux. Prints Markdown tables; the repositories are removed at the end.
"""

import argparse
import os
import random
import shutil
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VIGIL = os.path.join(HERE, "..", "target", "release", "vigil")


def generate(path, commits):
    subprocess.run(["git", "init", "-q", path], check=True)
    people = [(f"dev{i}", f"dev{i}@team.example", random.choice([-480, -300, 0, 60, 120, 330])) for i in range(12)]
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, stdin=subprocess.PIPE)
    out = proc.stdin
    stamp = 1_700_000_000
    for n in range(commits):
        intrusion = n >= commits - 6
        if intrusion:
            name, email, offset = "ci-bot", "ci-bot@users.example", 480
            stamp += random.randint(44, 53)
            message = random.choice(["feat", "refactor", "update"])
        else:
            name, email, offset = random.choice(people)
            stamp += random.randint(600, 12_000)
            message = f"Change {n}: adjust the handling of case {random.randint(1, 999)}"
        sign = "+" if offset >= 0 else "-"
        zone = f"{sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
        out.write(b"commit refs/heads/main\n")
        out.write(f"author {name} <{email}> {stamp} {zone}\n".encode())
        out.write(f"committer {name} <{email}> {stamp} {zone}\n".encode())
        body = message.encode()
        out.write(b"data %d\n%s\n" % (len(body), body))
        # Most changes rewrite a few lines of a file; some are large; a lock file now and then.
        lines = random.choice([3, 5, 8, 12, 20, 40, 200]) if not intrusion else 3000
        content = "".join(f"line {n} {i} {random.randint(0, 9)}\n" for i in range(lines)).encode()
        out.write(f"M 100644 inline src/file{n % 500}.txt\n".encode())
        out.write(b"data %d\n%s\n" % (len(content), content))
        if n % 97 == 0:
            lock = "".join(f"pkg{i} {n}\n" for i in range(800)).encode()
            out.write(b"M 100644 inline web/package-lock.json\n")
            out.write(b"data %d\n%s\n" % (len(lock), lock))
        out.write(b"\n")
    out.close()
    proc.wait()
    subprocess.run(["git", "-C", path, "repack", "-a", "-d", "-q"], check=True)


def timed(args):
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%M"] + args, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    peak = int(result.stderr.strip().splitlines()[-1]) / 1024 if result.stderr.strip() else 0
    return elapsed, peak


def best(rounds, args):
    runs = [timed(args) for _ in range(rounds)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def tmux_ms(command, needle, env, timeout=30):
    """Milliseconds from starting `command` in a fresh tmux server until `needle` is on screen."""
    tmux_ms.calls = getattr(tmux_ms, "calls", 0) + 1
    socket = f"vigil-bench-{os.getpid()}-{tmux_ms.calls}"
    start = time.perf_counter()
    subprocess.run(["tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", "-x", "200",
                    "-y", "50", "-s", "bench", command], check=True, env=env)
    try:
        while time.perf_counter() - start < timeout:
            screen = subprocess.run(["tmux", "-L", socket, "capture-pane", "-p", "-t", "bench"],
                                    capture_output=True, text=True).stdout
            if needle in screen:
                return (time.perf_counter() - start) * 1000
            time.sleep(0.005)
        raise SystemExit(f"timed out waiting for {needle!r}:\n{screen}")
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)


def measure(repo, commits, rounds, env):
    scan = [VIGIL, "scan", "timeline", "--repo", repo, "--format", "json", "--no-secrets"]
    metadata = best(rounds, scan + ["--no-line-counts"])
    full = best(rounds, scan + ["--no-cache"])
    numstat = best(rounds, ["git", "-C", repo, "log", "--all", "--numstat"])
    timed(scan)  # fills the cache
    cached = best(rounds, scan)
    count_pass = full[0] - metadata[0]
    rows = [
        ("metadata signals (`--no-line-counts`)", *metadata),
        ("whole timeline, line counts from scratch (`--no-cache`)", *full),
        ("line-count pass alone (difference of the two)", count_pass, None),
        ("`git log --all --numstat`", *numstat),
        ("second run, line counts from the cache", *cached),
    ]
    print(f"\n{commits} commits\n")
    print("| measurement | seconds | peak RSS MB |")
    print("|---|---|---|")
    for name, seconds, memory in rows:
        print(f"| {name} | {seconds:.3f} | {'' if memory is None else f'{memory:.0f}'} |")
    print(f"\nline-count pass / git log --numstat = {count_pass / numstat[0]:.2f}")
    # The pane: launch to "N commits" in pane 3 (Docker may be absent: the pane does not wait).
    baseline = min(tmux_ms("echo ready; sleep 5", "ready", env) for _ in range(3))
    pane = min(tmux_ms(f"{VIGIL} --repo {repo} --docker-host unix:///nonexistent.sock",
                       f"{commits} commits", env) for _ in range(rounds))
    print(f"pane shows the timeline {pane - baseline:.0f} ms after start "
          f"(tmux start-up {baseline:.0f} ms subtracted)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--big", action="store_true", help="also 100,000 commits, memory")
    args = parser.parse_args()
    random.seed(11)
    work = tempfile.mkdtemp(prefix="vigil-bench-timeline-")
    env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"),
               XDG_STATE_HOME=os.path.join(work, "state"))
    os.environ.update(env)
    try:
        repo = os.path.join(work, "repo")
        generate(repo, args.commits)
        measure(repo, args.commits, args.rounds, env)
        if args.big:
            big = os.path.join(work, "big")
            generate(big, 100_000)
            scan = [VIGIL, "scan", "timeline", "--repo", big, "--format", "json",
                    "--no-secrets", "--no-cache"]
            seconds, peak = timed(scan)
            print(f"\n100000 commits: whole timeline {seconds:.2f} s, peak RSS {peak:.0f} MB")
            seconds, peak = timed(scan[:-1])
            seconds, peak = timed(scan[:-1])
            print(f"100000 commits, second run from the cache: {seconds:.2f} s, "
                  f"peak RSS {peak:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
