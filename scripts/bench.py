#!/usr/bin/env python3
"""Runs `arca bench` against a fresh release server and the null server, side by side, and
prints the figures next to the issue's targets. Loopback only.

    scripts/bench            # everything except the 1,000,000-key listing
    scripts/bench --full     # also prepares 1,000,000 keys (1,000 prefixes x 1,000) and lists them
    scripts/bench --seconds 5
    scripts/bench --baseline OLD_ARCA_BINARY   # before/after: the same workloads against a
                                               # server of each build, interleaved, same run
    scripts/bench --binary ARCA_BINARY ...     # bench that binary instead of building this tree
    scripts/bench --versioned [--rounds N]      # 4 KiB PUT/GET/mixed on an unversioned and a
                                               # versioned bucket of one server, interleaved
    scripts/bench --policies [--rounds N]       # 4 KiB GET as the root user on a bucket without
                                               # a policy, and as an IAM user with a 10-statement
                                               # policy on a bucket with a 20-statement policy
    scripts/bench --encryption PLAINTEXT_BINARY  # plaintext (a build before encryption at rest)
                                               # vs SSE-S3 vs SSE-KMS with an S3 Bucket Key
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/arca-target"))
BIN = os.path.join(TARGET, "release", "arca")
KEY, SECRET = "benchkey", "benchsecret-0123456789"


def start(args, ready_prefix, binary=None):
    env = dict(os.environ, ARCA_ROOT_ACCESS_KEY=KEY, ARCA_ROOT_SECRET_KEY=SECRET, ARCA_LOG="warn,s3s=off")
    p = subprocess.Popen([binary or BIN, *args], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, text=True)
    line = p.stdout.readline()
    assert line.startswith(ready_prefix), line
    return p, line.split()[-1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def bench(endpoint, workload, *flags):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
    out = subprocess.run([BIN, "bench", workload, "--endpoint", endpoint, "--json", *flags], env=env,
                         capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if out.returncode != 0:
        raise SystemExit(f"bench {workload} failed: {out.stderr}")
    return json.loads(out.stdout)


# (name, unit, workload args): the figures of docs/benchmarks.md, for --baseline runs.
COMPARED = [
    ("GET 4 KiB, c16", "ops/s", ["get", "--size", "4KiB", "-c", "16", "--objects", "1000", "--bucket", "g4k"]),
    ("PUT 4 KiB, c16", "ops/s", ["put", "--size", "4KiB", "-c", "16", "--bucket", "p4k"]),
    ("mixed 4 KiB, c16", "ops/s", ["mixed", "--size", "4KiB", "-c", "16", "--objects", "1000", "--bucket", "m4k"]),
    ("GET 1 MiB, c16", "MiB/s", ["get", "--size", "1MiB", "-c", "16", "--objects", "200", "--bucket", "g1m"]),
    ("PUT 1 MiB, c16", "MiB/s", ["put", "--size", "1MiB", "-c", "16", "--bucket", "p1m"]),
    ("multipart 256 MiB upload, c8", "MiB/s", ["multipart", "--size", "256MiB", "--part-size", "16MiB", "-c", "8", "--bucket", "bench-mp"]),
    ("ListObjectsV2, 5,000 keys, c4", "keys/s", ["list", "-c", "4", "--objects", "5000", "--bucket", "l5k"]),
]


def figure(result, unit):
    if unit == "ops/s":
        return result["total"]["ops_per_s"]
    if unit == "keys/s":
        return result["total"]["items_per_s"]
    if "UPLOAD" in result.get("ops", {}):
        return result["ops"]["UPLOAD"]["mib_per_s"]
    return result["total"]["mib_per_s"]


def compare(baseline, seconds, rounds, only=None):
    """Runs each workload against a server of the baseline build and of this build, in turns
    (A B B A …) so that drift of a noisy machine falls on both alike; reports the medians."""
    servers = {}
    dirs = []
    try:
        for name, binary in (("before", baseline), ("after", BIN)):
            data = tempfile.mkdtemp(prefix=f"arca-bench-{name}-")
            dirs.append(data)
            servers[name] = start(["server", "--data", data, "--address", "127.0.0.1:0"], "arca listening on ", binary)
        results = []
        for label, unit, args in COMPARED:
            if only and only not in label:
                continue
            runs = {"before": [], "after": []}
            order = ["before", "after"]
            for i in range(rounds):
                for name in (order if i % 2 == 0 else order[::-1]):
                    r = bench(servers[name][1], *args, "--duration", str(seconds))
                    runs[name].append(figure(r, unit))
            med = {n: sorted(v)[len(v) // 2] for n, v in runs.items()}
            change = (med["after"] / med["before"] - 1) if med["before"] else 0.0
            results.append((label, f'{med["before"]:,.0f} {unit}', f'{med["after"]:,.0f} {unit}', f"{change:+.1%}"))
            print(f"{label}: before {runs['before']}, after {runs['after']}", file=sys.stderr)
    finally:
        for p, _ in servers.values():
            p.terminate()
            p.wait(timeout=60)
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
    print(f"\n| workload | before | after | change |\n|---|---|---|---|")
    for r in results:
        print("| " + " | ".join(r) + " |")


def encryption(plaintext, seconds, rounds, only=None):
    """Each workload on three servers in turns (A B C C B A …): `plaintext`, a build from before
    encryption at rest; this build with SSE-S3 (every object's default); and this build with a
    bucket default of SSE-KMS with an S3 Bucket Key. Reports the medians and the changes."""
    contenders = [("plaintext", plaintext, []), ("SSE-S3", BIN, []),
                  ("SSE-KMS, bucket key", BIN, ["--encryption", "sse-kms-bucket-key"])]
    servers, dirs, results = [], [], []
    try:
        for name, binary, _ in contenders:
            data = tempfile.mkdtemp(prefix="arca-bench-enc-")
            dirs.append(data)
            servers.append(start(["server", "--data", data, "--address", "127.0.0.1:0"], "arca listening on ", binary))
        for label, unit, args in COMPARED:
            if only and only not in label:
                continue
            runs = [[] for _ in contenders]
            order = list(range(len(contenders)))
            for i in range(rounds):
                for n in (order if i % 2 == 0 else order[::-1]):
                    r = bench(servers[n][1], *args, *contenders[n][2], "--duration", str(seconds))
                    runs[n].append(figure(r, unit))
            med = [sorted(v)[len(v) // 2] for v in runs]
            row = [label, f"{med[0]:,.0f} {unit}"]
            for m in med[1:]:
                row.append(f"{m:,.0f} {unit} ({m / med[0] - 1:+.1%})" if med[0] else f"{m:,.0f} {unit}")
            results.append(row)
            print(f"{label}: " + ", ".join(f"{c[0]} {r}" for c, r in zip(contenders, runs)), file=sys.stderr)
    finally:
        for p, _ in servers:
            p.terminate()
            p.wait(timeout=60)
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
    print("\n| workload | " + " | ".join(c[0] for c in contenders) + " |\n|---|---|---|---|")
    for r in results:
        print("| " + " | ".join(r) + " |")


def versioned(seconds, rounds, only=None):
    """The 4 KiB workloads on an unversioned and a versioned bucket of one server, in turns
    (A B B A …); reports the medians."""
    data = tempfile.mkdtemp(prefix="arca-bench-versioned-")
    server, ep = start(["server", "--data", data, "--address", "127.0.0.1:0"], "arca listening on ")
    results = []
    try:
        for label, unit, args in COMPARED[:3]:
            if only and only not in label:
                continue
            runs = {"unversioned": [], "versioned": []}
            order = ["unversioned", "versioned"]
            for i in range(rounds):
                for mode in (order if i % 2 == 0 else order[::-1]):
                    # COMPARED's entries end with `--bucket NAME`.
                    run = [*args[:-1], f"{args[-1]}-ver", "--versioned"] if mode == "versioned" else args
                    r = bench(ep, *run, "--duration", str(seconds))
                    runs[mode].append(figure(r, unit))
            med = {n: sorted(v)[len(v) // 2] for n, v in runs.items()}
            change = med["versioned"] / med["unversioned"] - 1
            results.append((label, f'{med["unversioned"]:,.0f} {unit}', f'{med["versioned"]:,.0f} {unit}', f"{change:+.1%}"))
            print(f"{label}: unversioned {runs['unversioned']}, versioned {runs['versioned']}", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(data, ignore_errors=True)
    print(f"\n| workload | unversioned bucket | versioned bucket | change |\n|---|---|---|---|")
    for r in results:
        print("| " + " | ".join(r) + " |")


def arca(endpoint, *args, key=KEY, secret=SECRET):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1")
    out = subprocess.run([BIN, "--endpoint-url", endpoint, *args], env=env, capture_output=True, text=True,
                         stdin=subprocess.DEVNULL)
    if out.returncode != 0:
        raise SystemExit(f"arca {' '.join(args)} failed: {out.stderr}")
    return out.stdout


def policies(seconds, rounds):
    """GET 4 KiB, c16: the root user on a bucket without a policy (no evaluation at all), and
    an IAM user whose 10-statement policy allows it on a bucket with a 20-statement policy
    (every statement evaluated on every request). Same server, in turns (A B B A …)."""
    data = tempfile.mkdtemp(prefix="arca-bench-policies-")
    server, ep = start(["server", "--data", data, "--address", "127.0.0.1:0"], "arca listening on ")
    try:
        arca(ep, "admin", "user", "add", "bencher")
        key = arca(ep, "admin", "user", "key", "add", "bencher")
        user_key = key.split("access key id:")[1].split()[0]
        user_secret = key.split("secret access key:")[1].split()[0]
        # Ten statements, the last one the grant that matters; the others name other
        # resources and conditions, so each is looked at and passed over.
        identity = [{"Sid": f"Other{i}", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                     "Resource": f"arn:aws:s3:::other-{i}/*",
                     "Condition": {"StringLike": {"s3:prefix": [f"team-{i}/*"]}}} for i in range(7)]
        identity += [
            {"Sid": "NoDeletes", "Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"},
            {"Sid": "Bucket", "Effect": "Allow", "Action": ["s3:CreateBucket", "s3:ListBucket"],
             "Resource": "arn:aws:s3:::pol"},
            {"Sid": "Objects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
             "Resource": "arn:aws:s3:::pol/*", "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
        ]
        bucket_policy = [{"Sid": f"Partner{i}", "Effect": "Allow",
                          "Principal": {"AWS": f"arn:aws:iam::000000000000:user/partner-{i}"},
                          "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::pol/partners/{i}/*"} for i in range(18)]
        bucket_policy += [
            {"Sid": "TlsOrLoopback", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::pol", "arn:aws:s3:::pol/*"],
             "Condition": {"NotIpAddress": {"aws:SourceIp": ["127.0.0.0/8", "::1/128"]},
                           "Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "NoOldClients", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
             "Resource": "arn:aws:s3:::pol/*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}},
        ]
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"Version": "2012-10-17", "Statement": identity}, f)
            identity_file = f.name
        arca(ep, "admin", "user", "policy", "set", "bencher", "bench", identity_file)
        arca(ep, "mb", "s3://pol")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"Version": "2012-10-17", "Statement": bucket_policy}, f)
            bucket_file = f.name
        arca(ep, "policy", "set", "s3://pol", bucket_file)
        env_user = dict(os.environ, AWS_ACCESS_KEY_ID=user_key, AWS_SECRET_ACCESS_KEY=user_secret)
        runs = {"root, no policies": [], "IAM user, 10 + 20 statements": []}
        args = ["get", "--size", "4KiB", "-c", "16", "--objects", "1000", "--duration", str(seconds)]
        order = list(runs)
        for i in range(rounds):
            for mode in (order if i % 2 == 0 else order[::-1]):
                if mode.startswith("root"):
                    r = bench(ep, *args, "--bucket", "plain")
                else:
                    out = subprocess.run([BIN, "bench", *args, "--bucket", "pol", "--endpoint", ep, "--json"],
                                         env=env_user, capture_output=True, text=True, stdin=subprocess.DEVNULL)
                    if out.returncode != 0:
                        raise SystemExit(f"bench as the IAM user failed: {out.stderr}")
                    r = json.loads(out.stdout)
                runs[mode].append(figure(r, "ops/s"))
        med = {n: sorted(v)[len(v) // 2] for n, v in runs.items()}
        print(f"GET 4 KiB, c16: {runs}", file=sys.stderr)
        base = med[order[0]]
        print("\n| GET 4 KiB, c16 | ops/s (median) | change |\n|---|---|---|")
        for n in order:
            print(f"| {n} | {med[n]:,.0f} | {med[n] / base - 1:+.1%} |")
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(data, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--baseline", help="an arca binary of the build to compare against")
    ap.add_argument("--rounds", type=int, default=3, help="runs per build and workload with --baseline")
    ap.add_argument("--binary", help="bench this arca binary instead of building the working tree")
    ap.add_argument("--only", help="with --baseline or --versioned: only the workloads whose name contains this")
    ap.add_argument("--versioned", action="store_true", help="4 KiB workloads, unversioned vs versioned bucket")
    ap.add_argument("--policies", action="store_true", help="4 KiB GET: root without policies vs IAM user with policies")
    ap.add_argument("--encryption", metavar="PLAINTEXT_BINARY",
                    help="plaintext (a build from before encryption) vs SSE-S3 vs SSE-KMS with a bucket key")
    a = ap.parse_args()
    global BIN
    if a.binary:
        BIN = os.path.abspath(a.binary)
    else:
        subprocess.run(["cargo", "build", "--release", "--locked", "--bin", "arca"], cwd=ROOT, check=True,
                       env=dict(os.environ, CARGO_TARGET_DIR=TARGET))
    if a.baseline:
        return compare(a.baseline, a.seconds, a.rounds, a.only)
    if a.encryption:
        return encryption(a.encryption, a.seconds, a.rounds, a.only)
    if a.versioned:
        return versioned(a.seconds, a.rounds, a.only)
    if a.policies:
        return policies(a.seconds, a.rounds)
    data = tempfile.mkdtemp(prefix="arca-bench-")
    server, ep = start(["server", "--data", data, "--address", "127.0.0.1:0"], "arca listening on ")
    null4k, n4 = start(["bench", "null-server", "--address", "127.0.0.1:0", "--size", "4KiB"], "null server")
    null1m, n1 = start(["bench", "null-server", "--address", "127.0.0.1:0", "--size", "1MiB"], "null server")
    null16m, n16 = start(["bench", "null-server", "--address", "127.0.0.1:0", "--size", "16MiB"], "null server")
    s = str(a.seconds)
    rows = []
    try:
        idle = rss_kib(server.pid)

        def row(name, figure, unit, ceiling, target):
            frac = f"{figure / ceiling:.0%}" if ceiling else "n/a"
            rows.append((name, f"{figure:,.0f} {unit}", f"{ceiling:,.0f} {unit}" if ceiling else "n/a", frac, target))

        r = bench(ep, "get", "--size", "4KiB", "-c", "16", "--duration", s, "--objects", "1000", "--bucket", "g4k")
        c = bench(n4, "get", "--size", "4KiB", "-c", "16", "--duration", s, "--objects", "1", "--bucket", "nul")
        row("GET 4 KiB, c16", r["total"]["ops_per_s"], "ops/s", c["total"]["ops_per_s"], ">= 20,000")
        rows.append(("  GET 4 KiB p50 / p99 / TTFB p50", f'{r["total"]["p50_ms"]:.2f} / {r["total"]["p99_ms"]:.2f} / {r["total"]["ttfb_p50_ms"]:.2f} ms', "", "", ""))
        r = bench(ep, "put", "--size", "4KiB", "-c", "16", "--duration", s, "--bucket", "p4k")
        c = bench(n4, "put", "--size", "4KiB", "-c", "16", "--duration", s, "--bucket", "nul")
        row("PUT 4 KiB, c16 (durable)", r["total"]["ops_per_s"], "ops/s", c["total"]["ops_per_s"], ">= 8,000")
        rows.append(("  PUT 4 KiB p50 / p99", f'{r["total"]["p50_ms"]:.2f} / {r["total"]["p99_ms"]:.2f} ms', "", "", ""))
        r = bench(ep, "mixed", "--size", "4KiB", "-c", "16", "--duration", s, "--objects", "1000", "--bucket", "m4k")
        c = bench(n4, "mixed", "--size", "4KiB", "-c", "16", "--duration", s, "--objects", "1", "--bucket", "nul")
        row("mixed 4 KiB, c16", r["total"]["ops_per_s"], "ops/s", c["total"]["ops_per_s"], ">= 12,000")
        r = bench(ep, "get", "--size", "1MiB", "-c", "16", "--duration", s, "--objects", "200", "--bucket", "g1m")
        c = bench(n1, "get", "--size", "1MiB", "-c", "16", "--duration", s, "--objects", "1", "--bucket", "nul")
        row("GET 1 MiB, c16", r["total"]["mib_per_s"], "MiB/s", c["total"]["mib_per_s"], ">= 1,500")
        r = bench(ep, "put", "--size", "1MiB", "-c", "16", "--duration", s, "--bucket", "p1m")
        c = bench(n1, "put", "--size", "1MiB", "-c", "16", "--duration", s, "--bucket", "nul")
        row("PUT 1 MiB, c16 (durable)", r["total"]["mib_per_s"], "MiB/s", c["total"]["mib_per_s"], ">= 300")
        peak = [0]

        def sample():
            peak[0] = max(peak[0], rss_kib(server.pid))

        import threading
        stop = threading.Event()

        def sampler():
            while not stop.is_set():
                sample()
                time.sleep(0.1)

        t = threading.Thread(target=sampler)
        t.start()
        r = bench(ep, "multipart", "--size", "256MiB", "--part-size", "16MiB", "-c", "8", "--duration", s, "--bucket", "bench-mp")
        stop.set()
        t.join()
        c = bench(n16, "multipart", "--size", "256MiB", "--part-size", "16MiB", "-c", "8", "--duration", s, "--bucket", "nul")
        row("multipart upload 256 MiB / 16 MiB parts, c8", r["ops"]["UPLOAD"]["mib_per_s"], "MiB/s", c["ops"]["UPLOAD"]["mib_per_s"], ">= 300")
        row("parallel ranged download, c8", r["ops"]["DOWNLOAD"]["mib_per_s"], "MiB/s", c["ops"]["DOWNLOAD"]["mib_per_s"], ">= 1,000")
        multipart_peak = peak[0]
        time.sleep(6)
        after = rss_kib(server.pid)
        r = bench(ep, "list", "-c", "4", "--duration", s, "--objects", "5000", "--bucket", "l5k")
        row("ListObjectsV2, prefix of 5,000 keys, c4", r["total"]["items_per_s"], "keys/s", 0, ">= 500,000")
        if a.full:
            r = bench(ep, "list", "-c", "4", "--duration", s, "--objects", "1000000", "--prefixes", "1000", "--bucket", "l1m")
            row("ListObjectsV2, prefix of 1,000,000 keys, c4", r["total"]["items_per_s"], "keys/s", 0, ">= 300,000")
            r = bench(ep, "list", "-c", "1", "--duration", s, "--objects", "1000000", "--prefixes", "1000", "--bucket", "l1m", "--delimiter", "/")
            rows.append(("delimiter '/' over 1,000 x 1,000: 1,000 CommonPrefixes", f'p50 {r["total"]["p50_ms"]:.2f} ms, p99 {r["total"]["p99_ms"]:.2f} ms', "", "", "< 50 ms"))
        rows.append(("server RSS idle (fresh)", f"{idle / 1024:.1f} MiB", "", "", "<= 50 MiB"))
        rows.append(("server RSS peak under multipart load", f"{multipart_peak / 1024:.1f} MiB", "", "", "<= 200 MiB"))
        rows.append(("server RSS 6 s after multipart load", f"{after / 1024:.1f} MiB", "", "", "back down"))
    finally:
        for p in (server, null4k, null1m, null16m):
            p.terminate()
        server.wait(timeout=60)
        shutil.rmtree(data, ignore_errors=True)
    print(f"\n| workload | Arca | null-server ceiling | fraction | target |\n|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    sys.exit(main())
