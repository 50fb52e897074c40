#!/usr/bin/env python3
"""`arca` (the client) against the AWS CLI and rclone, side by side, against one fresh Arca
server on loopback: one 1 GiB file up and down, 5,000 files of 4 KiB up and down
(recursive), and a sync of those 5,000 files that has nothing to do.

Installs what it compares with: rclone from Debian (apt-get) and the AWS CLI into the test
venv (`~/.cache/arca-venv`, as scripts/test does).

    scripts/bench-cli [--files 5000] [--big-mib 1024] [--repeat 3] [--tls]

Each cell is the median of --repeat runs, each into a fresh prefix and folder (rclone skips
files it finds already copied). --tls serves HTTPS with a throwaway CA, which every client is
told to trust (AWS_CA_BUNDLE for arca and the AWS CLI, --ca-cert for rclone).
"""

import argparse
import os
import statistics
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


def cpu_seconds(pid):
    """User + system CPU a running process has used so far (from /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(cmd, env, server_pid):
    """Runs cmd; returns (seconds, peak RSS in MiB, its CPU seconds, the server's CPU seconds)."""
    # Flush what earlier steps wrote, so no tool pays for another's disk writeback.
    os.sync()
    server_before = cpu_seconds(server_pid)
    start = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    elapsed = time.monotonic() - start
    if status != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr.read().decode()[-2000:]}")
    server_cpu = cpu_seconds(server_pid) - server_before
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, server_cpu


def make_certs(work):
    """A CA and a server certificate for 127.0.0.1, made with trustme from the venv."""
    code = ("import sys, trustme; ca = trustme.CA(); c = ca.issue_cert('127.0.0.1', 'localhost'); "
            "d = sys.argv[1]; ca.cert_pem.write_to_path(d + '/ca.pem'); "
            "c.private_key_pem.write_to_path(d + '/key.pem'); c.cert_chain_pems[0].write_to_path(d + '/cert.pem')")
    subprocess.run([os.path.join(VENV, "bin", "python"), "-c", code, work], check=True)
    return [os.path.join(work, n) for n in ("ca.pem", "cert.pem", "key.pem")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--big-mib", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tls", action="store_true")
    a = ap.parse_args()
    ensure_tools()
    work = tempfile.mkdtemp(prefix="arca-clibench-")
    data = os.path.join(work, "data")
    env = dict(os.environ, ARCA_ROOT_ACCESS_KEY=KEY, ARCA_ROOT_SECRET_KEY=SECRET, ARCA_LOG="warn,s3s=off")
    server_cmd = [BIN, "server", "--data", data, "--address", "127.0.0.1:0"]
    if a.tls:
        ca, cert, key = make_certs(work)
        server_cmd += ["--tls-cert", cert, "--tls-key", key]
    server = subprocess.Popen(server_cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, text=True)
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
    # rclone refuses AWS_CA_BUNDLE with its own HTTP transport; it takes --ca-cert instead.
    cenv.pop("AWS_CA_BUNDLE", None)
    rclone_env = dict(cenv)
    rclone_tls = []
    if a.tls:
        cenv["AWS_CA_BUNDLE"] = ca
        rclone_tls = ["--ca-cert", ca]
    aws = os.path.join(VENV, "bin", "aws")
    subprocess.run([BIN, "--endpoint-url", ep, "mb", "s3://clibench"], env=cenv, check=True, stdout=subprocess.DEVNULL)

    def commands(run):
        """Every tool's five commands for run number `run`: fresh prefixes and folders."""
        def out(name):
            d = os.path.join(work, "out", f"{name}-{run}")
            os.makedirs(d, exist_ok=True)
            return d

        def at(tool):
            return f"clibench/{tool}/{run}"

        return {
            "arca": {
                "up1": [BIN, "--endpoint-url", ep, "cp", "-q", big, f"s3://{at('arca')}/big.bin"],
                "down1": [BIN, "--endpoint-url", ep, "cp", "-q", f"s3://{at('arca')}/big.bin", out("arca")],
                "upN": [BIN, "--endpoint-url", ep, "cp", "-q", "--recursive", small, f"s3://{at('arca')}/small"],
                "downN": [BIN, "--endpoint-url", ep, "cp", "-q", "--recursive", f"s3://{at('arca')}/small", out("arca-small")],
                "sync": [BIN, "--endpoint-url", ep, "sync", "-q", small, f"s3://{at('arca')}/small"],
            },
            "aws": {
                "up1": [aws, "--endpoint-url", ep, "s3", "cp", "--only-show-errors", big, f"s3://{at('aws')}/big.bin"],
                "down1": [aws, "--endpoint-url", ep, "s3", "cp", "--only-show-errors", f"s3://{at('aws')}/big.bin",
                          os.path.join(out("aws"), "big.bin")],
                "upN": [aws, "--endpoint-url", ep, "s3", "cp", "--only-show-errors", "--recursive", small,
                        f"s3://{at('aws')}/small"],
                "downN": [aws, "--endpoint-url", ep, "s3", "cp", "--only-show-errors", "--recursive",
                          f"s3://{at('aws')}/small", out("aws-small")],
                "sync": [aws, "--endpoint-url", ep, "s3", "sync", "--only-show-errors", small, f"s3://{at('aws')}/small"],
            },
            "rclone": {
                "up1": ["rclone", *rclone_tls, "copy", big, f"arca:{at('rclone')}/"],
                "down1": ["rclone", *rclone_tls, "copy", f"arca:{at('rclone')}/big.bin", out("rclone")],
                "upN": ["rclone", *rclone_tls, "copy", small, f"arca:{at('rclone')}/small"],
                "downN": ["rclone", *rclone_tls, "copy", f"arca:{at('rclone')}/small", out("rclone-small")],
                "sync": ["rclone", *rclone_tls, "sync", small, f"arca:{at('rclone')}/small"],
            },
        }

    ops = [("up1", f"{a.big_mib} MiB file up", a.big_mib), ("down1", f"{a.big_mib} MiB file down", a.big_mib),
           ("upN", f"{a.files} x 4 KiB up", a.files * 4 / 1024), ("downN", f"{a.files} x 4 KiB down", a.files * 4 / 1024),
           ("sync", f"no-change sync of {a.files}", 0)]
    runs = {}
    try:
        for run in range(a.repeat):
            cmds = commands(run)
            for op, _, _ in ops:
                for tool in ("arca", "aws", "rclone"):
                    runs.setdefault((tool, op), []).append(
                        timed(cmds[tool][op], rclone_env if tool == "rclone" else cenv, server.pid))
            # Keep the disk from filling: this run's copies are measured and done with.
            shutil.rmtree(os.path.join(work, "out"), ignore_errors=True)
            subprocess.run([BIN, "--endpoint-url", ep, "rm", "-q", "--recursive", "s3://clibench/"], env=cenv,
                           check=True, stdout=subprocess.DEVNULL)
    finally:
        server.terminate()
        server.wait(timeout=60)
    # Medians of the runs, except peak RSS: the largest seen.
    results = {k: (statistics.median(r[0] for r in v), max(r[1] for r in v), statistics.median(r[2] for r in v),
                   statistics.median(r[3] for r in v)) for k, v in runs.items()}
    tools = ("arca", "aws", "rclone")
    print(f"\n{'HTTPS' if a.tls else 'HTTP'}, median of {a.repeat} run(s)")
    print("\n| operation | arca | AWS CLI | rclone | arca vs AWS CLI | arca vs rclone | arca peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for op, label, mib in ops:
        cells = []
        for tool in tools:
            secs = results[(tool, op)][0]
            cells.append(f"{secs:.2f} s" + (f" ({mib / secs:.0f} MiB/s)" if mib and mib >= 100 else ""))
        arca_s = results[("arca", op)][0]
        print(f"| {label} | {' | '.join(cells)} | {results[('aws', op)][0] / arca_s:.1f}x | "
              f"{results[('rclone', op)][0] / arca_s:.1f}x | {results[('arca', op)][1]:.0f} MiB |")
    # Client and server share the machine's cores, so a tool's time also depends on the CPU the
    # server spends on its requests; this table separates the two.
    print("\nCPU seconds, client + server (arca / AWS CLI / rclone):\n")
    print("| operation | arca | AWS CLI | rclone |")
    print("|---|---|---|---|")
    for op, label, _ in ops:
        cells = [f"{results[(t, op)][2]:.2f} + {results[(t, op)][3]:.2f}" for t in tools]
        print(f"| {label} | {' | '.join(cells)} |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
