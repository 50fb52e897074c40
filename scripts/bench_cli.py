#!/usr/bin/env python3
"""`arca` (the client) against the AWS CLI and rclone, side by side, against one fresh Arca
server on loopback: one 1 GiB file up and down, 5,000 files of 4 KiB up and down
(recursive), and a sync of those 5,000 files that has nothing to do.

Installs what it compares with: rclone from Debian (apt-get) and the AWS CLI into the test
venv (`~/.cache/arca-venv`, as scripts/test does).

    scripts/bench-cli [--files 5000] [--big-mib 1024]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/arca-target"))
BIN = os.path.join(TARGET, "release", "arca")
VENV = os.environ.get("ARCA_VENV", os.path.expanduser("~/.cache/arca-venv"))
KEY, SECRET = "clibenchkey", "clibench-secret-0123456789"


def ensure_tools():
    subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "arca"], cwd=ROOT, check=True,
                   env=dict(os.environ, CARGO_TARGET_DIR=TARGET))
    if not shutil.which("rclone"):
        subprocess.run(["apt-get", "install", "-y", "-q", "rclone"], check=True, stdout=subprocess.DEVNULL)
    if not os.path.exists(os.path.join(VENV, "bin", "aws")):
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([os.path.join(VENV, "bin", "pip"), "install", "-q", "-r",
                        os.path.join(ROOT, "tests", "clients", "requirements.txt")], check=True)


def timed(cmd, env):
    """Runs cmd; returns (seconds, peak RSS of that process in MiB)."""
    # Flush what earlier steps wrote, so no tool pays for another's disk writeback.
    os.sync()
    start = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.monotonic() - start
    if status != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--big-mib", type=int, default=1024)
    a = ap.parse_args()
    ensure_tools()
    work = tempfile.mkdtemp(prefix="arca-clibench-")
    data = os.path.join(work, "data")
    env = dict(os.environ, ARCA_ROOT_ACCESS_KEY=KEY, ARCA_ROOT_SECRET_KEY=SECRET, ARCA_LOG="warn,s3s=off")
    server = subprocess.Popen([BIN, "server", "--data", data, "--address", "127.0.0.1:0"], stdout=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, env=env, text=True)
    ep = server.stdout.readline().split()[-1]
    big = os.path.join(work, "big.bin")
    with open(big, "wb") as f:
        for _ in range(a.big_mib):
            f.write(os.urandom(1 << 20))
    small = os.path.join(work, "small")
    for i in range(a.files):
        d = os.path.join(small, f"d{i % 50:02d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i:05d}.bin"), "wb") as f:
            f.write(os.urandom(4096))
    cenv = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1",
                AWS_REGION="us-east-1", HOME=work, ARCA_CONFIG_DIR=os.path.join(work, ".arca"),
                AWS_CONFIG_FILE=os.path.join(work, "awsconfig"), AWS_SHARED_CREDENTIALS_FILE=os.path.join(work, "awscreds"),
                RCLONE_CONFIG_ARCA_TYPE="s3", RCLONE_CONFIG_ARCA_PROVIDER="Other",
                RCLONE_CONFIG_ARCA_ACCESS_KEY_ID=KEY, RCLONE_CONFIG_ARCA_SECRET_ACCESS_KEY=SECRET,
                RCLONE_CONFIG_ARCA_ENDPOINT=ep, RCLONE_CONFIG_ARCA_REGION="us-east-1", RCLONE_CONFIG="/dev/null")
    # rclone refuses a custom CA bundle with its HTTP transport; plain HTTP needs none.
    cenv.pop("AWS_CA_BUNDLE", None)
    aws = os.path.join(VENV, "bin", "aws")
    subprocess.run([BIN, "--endpoint-url", ep, "mb", "s3://clibench"], env=cenv, check=True, stdout=subprocess.DEVNULL)

    def out(name):
        d = os.path.join(work, "out", name)
        os.makedirs(d, exist_ok=True)
        return d

    tools = {
        "arca": {
            "up1": [BIN, "--endpoint-url", ep, "cp", "-q", big, "s3://clibench/arca/big.bin"],
            "down1": [BIN, "--endpoint-url", ep, "cp", "-q", "s3://clibench/arca/big.bin", os.path.join(out("arca"), "big.bin")],
            "upN": [BIN, "--endpoint-url", ep, "cp", "-q", "--recursive", small, "s3://clibench/arca/small"],
            "downN": [BIN, "--endpoint-url", ep, "cp", "-q", "--recursive", "s3://clibench/arca/small", out("arca-small")],
            "sync": [BIN, "--endpoint-url", ep, "sync", "-q", small, "s3://clibench/arca/small"],
        },
        "aws": {
            "up1": [aws, "--endpoint-url", ep, "s3", "cp", "--only-show-errors", big, "s3://clibench/aws/big.bin"],
            "down1": [aws, "--endpoint-url", ep, "s3", "cp", "--only-show-errors", "s3://clibench/aws/big.bin", os.path.join(out("aws"), "big.bin")],
            "upN": [aws, "--endpoint-url", ep, "s3", "cp", "--only-show-errors", "--recursive", small, "s3://clibench/aws/small"],
            "downN": [aws, "--endpoint-url", ep, "s3", "cp", "--only-show-errors", "--recursive", "s3://clibench/aws/small", out("aws-small")],
            "sync": [aws, "--endpoint-url", ep, "s3", "sync", "--only-show-errors", small, "s3://clibench/aws/small"],
        },
        "rclone": {
            "up1": ["rclone", "copy", big, "arca:clibench/rclone/"],
            "down1": ["rclone", "copy", "arca:clibench/rclone/big.bin", out("rclone")],
            "upN": ["rclone", "copy", small, "arca:clibench/rclone/small"],
            "downN": ["rclone", "copy", "arca:clibench/rclone/small", out("rclone-small")],
            "sync": ["rclone", "sync", small, "arca:clibench/rclone/small"],
        },
    }
    ops = [("up1", f"{a.big_mib} MiB file up", a.big_mib), ("down1", f"{a.big_mib} MiB file down", a.big_mib),
           ("upN", f"{a.files} x 4 KiB up", a.files * 4 / 1024), ("downN", f"{a.files} x 4 KiB down", a.files * 4 / 1024),
           ("sync", f"no-change sync of {a.files}", 0)]
    results = {}
    try:
        for op, _, _ in ops:
            for tool, cmds in tools.items():
                results[(tool, op)] = timed(cmds[op], cenv)
    finally:
        server.terminate()
        server.wait(timeout=60)
    print("\n| operation | arca | AWS CLI | rclone | arca vs AWS CLI | arca vs rclone | arca peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for op, label, mib in ops:
        cells = []
        for tool in ("arca", "aws", "rclone"):
            secs, _ = results[(tool, op)]
            cells.append(f"{secs:.2f} s" + (f" ({mib / secs:.0f} MiB/s)" if mib and mib >= 100 else ""))
        arca_s = results[("arca", op)][0]
        print(f"| {label} | {' | '.join(cells)} | {results[('aws', op)][0] / arca_s:.1f}x | "
              f"{results[('rclone', op)][0] / arca_s:.1f}x | {results[('arca', op)][1]:.0f} MiB |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
