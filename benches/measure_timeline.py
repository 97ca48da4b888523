#!/usr/bin/env python3
"""Measures `vigil scan timeline` on a generated repository of many commits.

Generates a repository (default 10,000 commits by a dozen identities over two years, with an
intrusion burst near the end) with `git fast-import`, then times, best of N:

  * `vigil scan timeline --format json` (every commit read, every metadata signal computed),
    with peak memory;
  * `git log --all --numstat > /dev/null`, the reference for the line-count pass to come;
  * `git rev-list --all --count`, reading the commit graph alone.

Run:  cargo build --release && python3 benches/measure_timeline.py [--commits 10000]
Needs git. Prints a Markdown table; the repository is removed at the end.
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
        content = f"line {n}\n".encode() * random.randint(1, 20)
        out.write(f"M 100644 inline src/file{n % 500}.txt\n".encode())
        out.write(b"data %d\n%s\n\n" % (len(content), content))
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    random.seed(11)
    work = tempfile.mkdtemp(prefix="vigil-bench-timeline-")
    repo = os.path.join(work, "repo")
    try:
        generate(repo, args.commits)
        rows = [
            ("vigil scan timeline --format json (all metadata signals)",
             *best(args.rounds, [VIGIL, "scan", "timeline", "--repo", repo, "--format", "json"])),
            ("git rev-list --all --count (the commit graph alone)",
             *best(args.rounds, ["git", "-C", repo, "rev-list", "--all", "--count"])),
            ("git log --all --numstat (reference for the line-count pass)",
             *best(args.rounds, ["git", "-C", repo, "log", "--all", "--numstat"])),
        ]
        print(f"\n{args.commits} commits\n")
        print("| measurement | seconds | peak RSS MB |")
        print("|---|---|---|")
        for name, seconds, memory in rows:
            print(f"| {name} | {seconds:.3f} | {memory:.0f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
