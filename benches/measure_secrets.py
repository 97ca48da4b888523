#!/usr/bin/env python3
"""Measures `vigil scan secrets` against the floors of the same work, side by side, in one run.

It generates a repository itself (thousands of commits, hundreds of MB of source-like text,
some planted secrets generated now), then times on it:

  * vigil, full history (`--no-containers`), with peak memory;
  * vigil, working tree only (`--no-history`) on a checkout, as MB/s per core;
  * `git cat-file --batch-all-objects --batch` (reading every object: the floor);
  * `git log -p --all` (what a history scanner built on git log pays);
  * Kingfisher (PyPI `kingfisher-bin`) on the full history, and detect-secrets (PyPI) on the
    working tree, when they are installed.

Run:  cargo build --release && python3 benches/measure_secrets.py [--commits 3000] [--mb 400]
Needs git. Prints a Markdown table; the repository is removed at the end.
"""

import argparse
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VIGIL = os.path.join(HERE, "..", "target", "release", "vigil")


def words(n):
    return "".join(random.choice(string.ascii_lowercase) for _ in range(n))


def line_pool(size):
    """Lines that look like code and config, with the keywords scanners look for in them."""
    templates = [
        "def {a}_{b}(self, {c}, key=None):",
        "    return self.{a}.get({c!r}, {b})",
        "    token_count = len({a}) + {n}",
        "# TODO: cache the {a} {b} lookup (see issue {n})",
        "{A}_TIMEOUT = {n}",
        "    secret_name = config['{a}_{b}']",
        "const {a}{B} = require('./{b}');",
        "  {a}: {n}",
        "    if password_policy.min_length > {n}: raise ValueError('{a}')",
        "<div class=\"{a}-{b}\">{c}</div>",
        "    logger.debug('%s %s', {a}, {b})  # api key rotation handled elsewhere",
        "{a}_{b} = [{n}, {n}, {n}]",
    ]
    pool = []
    for _ in range(size):
        t = random.choice(templates)
        a, b, c = words(6), words(5), words(7)
        pool.append(
            t.format(a=a, b=b, c=c, A=a.upper(), B=b.capitalize(), n=random.randint(1, 9999))
        )
    return pool


def generate(path, commits, megabytes):
    subprocess.run(["git", "init", "-q", path], check=True)
    pool = line_pool(40000)
    files = [f"src/module_{i:03d}.py" for i in range(300)]
    target = megabytes * 1024 * 1024
    per_commit = max(1, target // commits)
    planted = []
    proc = subprocess.Popen(
        ["git", "fast-import", "--quiet"], cwd=path, stdin=subprocess.PIPE
    )
    out = proc.stdin
    written = 0
    for n in range(commits):
        out.write(b"commit refs/heads/main\n")
        stamp = 1_700_000_000 + n * 60
        out.write(f"committer dev <dev@example.invalid> {stamp} +0000\n".encode())
        msg = f"change {n}".encode()
        out.write(b"data %d\n%s\n" % (len(msg), msg))
        budget = per_commit
        while budget > 0:
            name = random.choice(files)
            lines = random.choices(pool, k=random.randint(300, 1500))
            if n % 500 == 7:
                key = "Q7" + "".join(random.choices(string.ascii_uppercase + string.digits, k=30))
                planted.append(key)
                lines.append(f"VLLM_API_KEY={key}")
            body = ("\n".join(lines) + "\n").encode()
            out.write(f"M 100644 inline {name}\n".encode())
            out.write(b"data %d\n" % len(body))
            out.write(body)
            out.write(b"\n")
            budget -= len(body)
            written += len(body)
        out.write(b"\n")
    out.close()
    proc.wait()
    # Pack it the way a clone arrives (fast-import's own packs have unusual delta chains).
    subprocess.run(["git", "-C", path, "repack", "-a", "-d", "-f", "-q"], check=True)
    subprocess.run(["git", "-C", path, "checkout", "-q", "main"], check=True)
    return written, planted


def write_tree(path, megabytes):
    """A plain directory of source-like files (keyword-dense, like the history's)."""
    pool = line_pool(20000)
    written = 0
    index = 0
    while written < megabytes * 1024 * 1024:
        sub = os.path.join(path, f"pkg{index // 100:03d}")
        os.makedirs(sub, exist_ok=True)
        body = ("\n".join(random.choices(pool, k=2000)) + "\n").encode()
        with open(os.path.join(sub, f"file{index:05d}.py"), "wb") as out:
            out.write(body)
        written += len(body)
        index += 1
    return written


def timed(args, cwd=None, stdout=subprocess.DEVNULL):
    start = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "%M"] + args,
        cwd=cwd,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
    )
    elapsed = time.perf_counter() - start
    peak_kb = int(result.stderr.strip().splitlines()[-1]) if result.stderr.strip() else 0
    return elapsed, peak_kb / 1024, result.returncode


def best_of(rounds, args, cwd=None):
    runs = [timed(args, cwd=cwd) for _ in range(rounds)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--mb", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tree-mb", type=int, default=200)
    args = parser.parse_args()
    random.seed(7)
    work = tempfile.mkdtemp(prefix="vigil-bench-secrets-")
    repo = os.path.join(work, "repo")
    try:
        started = time.perf_counter()
        written, planted = generate(repo, args.commits, args.mb)
        print(
            f"generated {args.commits} commits, {written / 1e6:.0f} MB of blob text, "
            f"{len(planted)} planted keys in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        objects = subprocess.run(
            ["git", "-C", repo, "count-objects", "-v"], capture_output=True, text=True
        ).stdout
        rows = []
        # Warm the page cache once so every tool reads from memory.
        subprocess.run(["git", "-C", repo, "cat-file", "--batch-all-objects", "--batch"],
                       stdout=subprocess.DEVNULL)
        floor, floor_mem = best_of(args.rounds, ["git", "-C", repo, "cat-file", "--batch-all-objects", "--batch"])
        rows.append(("git cat-file --batch-all-objects --batch (object read floor)", floor, floor_mem))
        log, log_mem = best_of(args.rounds, ["git", "-C", repo, "log", "-p", "--all"])
        rows.append(("git log -p --all", log, log_mem))
        vigil_args = [VIGIL, "scan", "secrets", "--repo", repo, "--no-containers", "--format", "json"]
        out = subprocess.run(vigil_args, capture_output=True, text=True)
        found = sum(1 for key in planted if __import__("hashlib").sha256(key.encode()).hexdigest() in out.stdout)
        hist, hist_mem = best_of(args.rounds, vigil_args)
        rows.append((f"vigil scan secrets, full history ({found}/{len(planted)} planted keys found)", hist, hist_mem))
        kf = shutil.which("kingfisher")
        if kf:
            kf_args = [kf, "scan", repo, "--git-history", "full", "--no-validate", "--format", "json", "--no-update-check", "-q"]
            kf_out = subprocess.run(kf_args, capture_output=True, text=True).stdout
            kf_found = sum(1 for key in planted if key in kf_out)
            t, m = best_of(args.rounds, kf_args)
            rows.append((f"Kingfisher 2.x, full history, no validation ({kf_found}/{len(planted)} planted keys found)", t, m))
        else:
            print("kingfisher not installed (pip install kingfisher-bin): row left out", file=sys.stderr)
        # Working-tree throughput on a tree big enough for start-up not to matter.
        tree_dir = os.path.join(work, "tree")
        tree_bytes = write_tree(tree_dir, args.tree_mb)
        tree, tree_mem = best_of(args.rounds, [VIGIL, "scan", "secrets", "--repo", tree_dir, "--no-containers", "--no-history", "--format", "json"])
        cores = os.cpu_count() or 1
        rows.append((f"vigil scan secrets --no-history ({tree_bytes / 1e6:.0f} MB of source files: {tree_bytes / 1e6 / tree / cores:.0f} MB/s per core on {cores} cores)", tree, tree_mem))
        ds = shutil.which("detect-secrets")
        if ds:
            # detect-secrets has no history mode and reads about 0.2 MB/s: it is measured on
            # one 10 MB part of the same tree (run from inside it: it scans paths under the
            # current directory only), next to vigil on that same part.
            part = os.path.join(tree_dir, "pkg000")
            part_bytes = sum(os.path.getsize(os.path.join(part, f)) for f in os.listdir(part))
            t, m = timed([ds, "scan", "--all-files", "."], cwd=part)[:2]
            rows.append((f"detect-secrets scan --all-files, {part_bytes / 1e6:.0f} MB part of the tree ({part_bytes / 1e6 / t:.2f} MB/s)", t, m))
            t, m = best_of(args.rounds, [VIGIL, "scan", "secrets", "--repo", part, "--no-containers", "--no-history", "--format", "json"])
            rows.append((f"vigil on the same {part_bytes / 1e6:.0f} MB part ({part_bytes / 1e6 / t:.0f} MB/s)", t, m))
        else:
            print("detect-secrets not installed (pip install detect-secrets): row left out", file=sys.stderr)
        print(f"\nrepository: {args.commits} commits; {objects.split('size-pack: ')[-1].split()[0]} KiB packed\n")
        print("| measurement | seconds | peak RSS MB | vs object read |")
        print("|---|---|---|---|")
        for name, seconds, memory in rows:
            print(f"| {name} | {seconds:.2f} | {memory:.0f} | {seconds / floor:.2f}x |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
