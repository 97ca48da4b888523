#!/usr/bin/env python3
"""Makes assets/screenshot.svg from a real run: starts a few vigil-test-* containers, runs the
release binary in tmux, captures the pane with its colours and renders it as SVG.

This machine has no GPU: the GPU pane is fed by the test NVML library (tests/nvml/fake_nvml.c,
compiled here), which reports two cards with the sdnext and vLLM containers' real host PIDs as
GPU processes, through vigil's real NVML code path.

    cargo build --release && python3 assets/make_screenshot.py
"""

import html
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VIGIL = os.path.join(HERE, "..", "target", "release", "vigil")
IMAGE = "vigil-test-busybox:latest"
WIDTH, HEIGHT = 150, 40
CELL_W, CELL_H = 8.4, 17

PALETTE16 = ["#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
             "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff"]


def xterm256(n):
    if n < 16:
        return PALETTE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    level = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (level, level, level)


def sh(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def containers():
    started = []

    def run(name, *args):
        sh("docker", "run", "-d", "--name", name, *args)
        started.append(name)

    httpd = ["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www"]
    run("vigil-test-sdnext", "-p", "0.0.0.0:36325:80", IMAGE, *httpd)
    auth = f"echo '/:admin:{secrets.token_hex(8)}' > /tmp/c && exec /bin/busybox httpd -f -p 80 -h /www -c /tmp/c"
    run("vigil-test-whisper-webui", "-p", "0.0.0.0:7860:80", "-e", f"WEBUI_PASSWORD={secrets.token_hex(3)}",
        IMAGE, "/bin/sh", "-c", auth)
    run("vigil-test-vllm", "-p", "127.0.0.1:5000:80", "-e", f"VLLM_API_KEY={secrets.token_hex(16).upper()}",
        IMAGE, *httpd)
    sh("docker", "create", "--name", "vigil-test-flux", "-p", "0.0.0.0:8188:80", IMAGE, *httpd)
    started.append("vigil-test-flux")
    return started


def render_svg(ansi):
    fg_default, bg_default = "#d0d0d0", "#1c1c1c"
    cells = []
    for y, line in enumerate(ansi.split("\n")[:HEIGHT]):
        fg, bg, bold, x = fg_default, None, False, 0
        for token in re.split(r"(\x1b\[[0-9;]*m)", line):
            if token.startswith("\x1b["):
                codes = [int(c) if c else 0 for c in token[2:-1].split(";")]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        fg, bg, bold = fg_default, None, False
                    elif c == 1:
                        bold = True
                    elif c == 22:
                        bold = False
                    elif c in (38, 48) and i + 1 < len(codes):
                        if codes[i + 1] == 5:
                            color, i = xterm256(codes[i + 2]), i + 2
                        else:
                            color, i = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5]), i + 4
                        fg, bg = (color, bg) if c == 38 else (fg, color)
                    elif c == 39:
                        fg = fg_default
                    elif c == 49:
                        bg = None
                    elif 30 <= c <= 37:
                        fg = PALETTE16[c - 30]
                    elif 90 <= c <= 97:
                        fg = PALETTE16[c - 90 + 8]
                    elif 40 <= c <= 47:
                        bg = PALETTE16[c - 40]
                    i += 1
                continue
            for ch in token:
                cells.append((x, y, ch, fg, bg, bold))
                x += 1
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH * CELL_W:.0f}" height="{HEIGHT * CELL_H}" '
           f'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">',
           f'<rect width="100%" height="100%" fill="{bg_default}"/>']
    for x, y, ch, fg, bg, bold in cells:
        if bg:
            out.append(f'<rect x="{x * CELL_W:.1f}" y="{y * CELL_H}" width="{CELL_W + 0.2:.1f}" height="{CELL_H}" fill="{bg}"/>')
    for x, y, ch, fg, bg, bold in cells:
        if ch.strip():
            weight = ' font-weight="bold"' if bold else ""
            out.append(f'<text x="{x * CELL_W:.1f}" y="{y * CELL_H + 13}" fill="{fg}"{weight}>{html.escape(ch)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def incident_repo(path):
    """A small deployment repository: two people over six weeks, then a night burst of one-word
    commits over compose and .env files (the key is generated now and shown masked)."""
    sh("git", "init", "-q", path)

    def commit(name, email, stamp, zone, message, files):
        for rel, text in files.items():
            full = os.path.join(path, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)
            sh("git", "-C", path, "add", rel)
        env = dict(os.environ, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=email,
                   GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=email,
                   GIT_AUTHOR_DATE=f"{stamp} {zone}", GIT_COMMITTER_DATE=f"{stamp} {zone}")
        subprocess.run(["git", "-C", path, "commit", "-q", "-m", message], check=True, env=env)

    start = 1_772_409_600
    for day in range(42):
        who = ("Alice", "alice@team.example", "+0100") if day % 2 else ("Bob", "bob@team.example", "-0500")
        commit(*who[:2], start + day * 86400 + 50_000, who[2], f"Handle case {day} in the request router",
               {f"app/router_{day % 5}.py": f"# case {day}\n" * (day + 3)})
    night = start + 45 * 86400 + 68_000
    key = secrets.token_hex(16).upper()
    burst = [("feat", {"deploy/docker-compose.yml": "services:\n  vllm:\n    ports: ['0.0.0.0:8000:8000']\n"}),
             ("refactor", {"app/engine.py": "".join(f"line {i}\n" for i in range(2400))}),
             ("update", {".env": f"VLLM_API_KEY={key}\n"})]
    for i, (message, files) in enumerate(burst):
        commit("ci-bot", "ci-bot@users.example", night + i * 47, "+0800", message, files)


def gpu_scenario(library, second):
    """Two cards: sdnext busy on card 0, vLLM on card 1; utilization moves so the sparklines do."""
    sdnext = sh("docker", "inspect", "-f", "{{.State.Pid}}", "vigil-test-sdnext").strip()
    vllm = sh("docker", "inspect", "-f", "{{.State.Pid}}", "vigil-test-vllm").strip()
    util0 = [35, 60, 88, 97, 99, 98, 96, 99, 97, 98, 99, 97][second % 12]
    util1 = [20, 25, 40, 30, 22, 45, 38, 27, 33, 41, 29, 36][second % 12]
    text = (
        "driver 550.54.15\ncuda 12040\n"
        f'gpu name="NVIDIA A100-SXM4-80GB" uuid=GPU-1a2b3c4d-0000-1111-2222-333344445555 util={util0} '
        f"memutil={util0 // 2} mem_total=85899345920 mem_used=64424509440 temp=78 power_mw=371000 "
        "limit_mw=400000 fan=- sm_clock=1410 throttle=0x4 ecc=1 ecc_uncorrected=0 mig=0\n"
        f'gpu name="NVIDIA L40S" uuid=GPU-9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff util={util1} '
        f"memutil={util1 // 3} mem_total=48318382080 mem_used=19327352832 temp=52 power_mw=118000 "
        "limit_mw=350000 fan=34 sm_clock=1635 throttle=0x1\n"
        f"proc gpu=0 pid={sdnext} used=62277025792 sm={util0 - 3}\n"
        f"proc gpu=1 pid={vllm} used=18253611008 sm={util1}\n"
    )
    with open(library + ".scenario.tmp", "w") as f:
        f.write(text)
    os.replace(library + ".scenario.tmp", library + ".scenario")


def main():
    names = containers()
    repo = tempfile.mkdtemp(prefix="vigil-shot-")
    nvml = tempfile.mkdtemp(prefix="vigil-shot-nvml-")
    library = os.path.join(nvml, "libnvidia-ml.so.1")
    try:
        sh("gcc", "-shared", "-fPIC", "-O2", "-o", library,
           os.path.join(HERE, "..", "tests", "nvml", "fake_nvml.c"))
        gpu_scenario(library, 0)
        incident_repo(repo)
        time.sleep(1)
        sh("tmux", "-L", "vigil-shot", "-f", "/dev/null", "new-session", "-d", "-s", "s",
           "-x", str(WIDTH), "-y", str(HEIGHT),
           f"exec env TERM=xterm-256color VIGIL_NVML_LIB={library} {VIGIL} --repo {repo}")
        for second in range(1, 13):
            time.sleep(1)
            gpu_scenario(library, second)
        ansi = sh("tmux", "-L", "vigil-shot", "capture-pane", "-p", "-e", "-t", "s")
        with open(os.path.join(HERE, "screenshot.svg"), "w") as f:
            f.write(render_svg(ansi))
        print("wrote assets/screenshot.svg")
    finally:
        subprocess.run(["tmux", "-L", "vigil-shot", "kill-server"], capture_output=True)
        subprocess.run(["docker", "rm", "-f", *names], capture_output=True)
        shutil.rmtree(repo, ignore_errors=True)
        shutil.rmtree(nvml, ignore_errors=True)


if __name__ == "__main__":
    main()
