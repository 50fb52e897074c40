"""The AWS CLI (`aws s3` and `aws s3api`) against Arca, unchanged."""

import hashlib
import json
import os


def write_random(path, size, seed):
    import random

    rnd = random.Random(seed)
    with open(path, "wb") as f:
        remaining = size
        while remaining:
            n = min(remaining, 1 << 20)
            f.write(rnd.randbytes(n))
            remaining -= n


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def test_mb_cp_ls_rm_rb(aws, tmp_path):
    aws("s3", "mb", "s3://cli-basic")
    small = tmp_path / "small.txt"
    small.write_text("hello from the aws cli\n")
    aws("s3", "cp", str(small), "s3://cli-basic/docs/small.txt")
    big = tmp_path / "big.bin"
    write_random(big, 100 * 1024 * 1024, 1)
    aws("s3", "cp", str(big), "s3://cli-basic/big.bin")
    head = json.loads(aws("s3api", "head-object", "--bucket", "cli-basic", "--key", "big.bin").stdout)
    assert head["ContentLength"] == 100 * 1024 * 1024
    assert head["ETag"].strip('"').endswith("-13"), head["ETag"]  # 8 MiB parts
    back = tmp_path / "big.back"
    aws("s3", "cp", "s3://cli-basic/big.bin", str(back))
    assert sha(back) == sha(big)
    listing = aws("s3", "ls", "--recursive", "s3://cli-basic").stdout
    assert "docs/small.txt" in listing and "big.bin" in listing
    top = aws("s3", "ls", "s3://cli-basic/").stdout
    assert "PRE docs/" in top
    aws("s3", "rm", "--recursive", "s3://cli-basic/docs/")
    assert "docs/small.txt" not in aws("s3", "ls", "--recursive", "s3://cli-basic").stdout
    p = aws("s3", "rb", "s3://cli-basic", check=False)
    assert p.returncode != 0 and "BucketNotEmpty" in p.stderr
    aws("s3", "rb", "--force", "s3://cli-basic")
    assert "cli-basic" not in aws("s3", "ls").stdout


def test_sync_both_ways(aws, tmp_path):
    src = tmp_path / "src"
    (src / "nested" / "deeper").mkdir(parents=True)
    for i in range(20):
        (src / f"f{i}.txt").write_text(f"file {i}\n" * (i + 1))
    (src / "nested" / "deeper" / "x.bin").write_bytes(os.urandom(300_000))
    aws("s3", "mb", "s3://cli-sync")
    aws("s3", "sync", str(src), "s3://cli-sync/backup")
    again = aws("s3", "sync", str(src), "s3://cli-sync/backup").stdout
    assert "upload:" not in again, again
    dst = tmp_path / "dst"
    aws("s3", "sync", "s3://cli-sync/backup", str(dst))
    for p in src.rglob("*"):
        if p.is_file():
            assert (dst / p.relative_to(src)).read_bytes() == p.read_bytes()
    (src / "f0.txt").unlink()
    out = aws("s3", "sync", "--delete", str(src), "s3://cli-sync/backup").stdout
    assert "delete: s3://cli-sync/backup/f0.txt" in out
    aws("s3", "rb", "--force", "s3://cli-sync")


def test_s3api_errors_and_metadata(aws, tmp_path):
    aws("s3api", "create-bucket", "--bucket", "cli-api")
    body = tmp_path / "b.txt"
    body.write_text("x")
    aws(
        "s3api", "put-object", "--bucket", "cli-api", "--key", "k", "--body", str(body),
        "--metadata", "color=red", "--content-type", "text/plain",
    )
    head = json.loads(aws("s3api", "head-object", "--bucket", "cli-api", "--key", "k").stdout)
    assert head["Metadata"] == {"color": "red"} and head["ContentType"] == "text/plain"
    p = aws("s3api", "get-object", "--bucket", "cli-api", "--key", "missing", str(tmp_path / "o"), check=False)
    assert p.returncode != 0 and "NoSuchKey" in p.stderr
    # us-east-1's legacy rule, as on AWS: creating a bucket you already own succeeds.
    p = aws("s3api", "create-bucket", "--bucket", "cli-api", check=False)
    assert p.returncode == 0, p.stderr
    aws("s3", "rb", "--force", "s3://cli-api")


def test_https_with_ca_bundle(aws, tmp_path):
    from conftest import start_tls_server, stop_server

    tls = start_tls_server(tmp_path)
    ca_pem = tls["ca"]
    try:
        assert tls["endpoint"].startswith("https://")
        ep = tls["endpoint"]
        aws("--ca-bundle", str(ca_pem), "s3", "mb", "s3://tls-bucket", endpoint=ep)
        body = tmp_path / "secret.txt"
        body.write_text("over https")
        aws("--ca-bundle", str(ca_pem), "s3", "cp", str(body), "s3://tls-bucket/secret.txt", endpoint=ep)
        out = aws("--ca-bundle", str(ca_pem), "s3", "cp", "s3://tls-bucket/secret.txt", "-", endpoint=ep).stdout
        assert out == "over https"
        # Without the CA the certificate is (rightly) refused.
        p = aws("s3", "ls", endpoint=ep, check=False)
        assert p.returncode != 0 and "SSL" in p.stderr.upper()
    finally:
        stop_server(tls)


def test_lifecycle_with_the_cli(aws):
    """`aws s3api` lifecycle calls on a server whose lifecycle day lasts a second; the pass
    runs now through `arca admin run-lifecycle`."""
    import subprocess
    import time

    from conftest import ACCESS_KEY, SECRET_KEY, arca_binary, start_server, stop_server

    s = start_server("--lifecycle-day-seconds", "1")
    ep = s["endpoint"]
    try:
        aws("s3api", "create-bucket", "--bucket", "cli-life", endpoint=ep)
        aws("s3api", "put-bucket-versioning", "--bucket", "cli-life",
            "--versioning-configuration", "Status=Enabled", endpoint=ep)
        rules = {"Rules": [
            {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}},
            {"ID": "history", "Status": "Enabled", "Filter": {},
             "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
        ]}
        aws("s3api", "put-bucket-lifecycle-configuration", "--bucket", "cli-life",
            "--lifecycle-configuration", json.dumps(rules), endpoint=ep)
        got = json.loads(aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", "cli-life",
                             endpoint=ep).stdout)
        assert [r["ID"] for r in got["Rules"]] == ["tmp", "history"]
        assert got["Rules"][0]["Expiration"] == {"Days": 1}

        put = json.loads(aws("s3api", "put-object", "--bucket", "cli-life", "--key", "tmp/a", endpoint=ep).stdout)
        assert put["Expiration"].endswith('rule-id="tmp"'), put
        for _ in range(2):
            aws("s3api", "put-object", "--bucket", "cli-life", "--key", "doc", endpoint=ep)
        time.sleep(2.2)
        env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
                   AWS_REGION="us-east-1")
        run = subprocess.run([arca_binary(), "--endpoint-url", ep, "admin", "run-lifecycle"],
                             env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert run.returncode == 0, run.stderr
        # The scheduled passes (every quarter day) may have done some of it already; the counts
        # are the job's totals. `tmp/a`'s old version may be due too by now.
        counts = json.loads(run.stdout)["counts"]
        assert counts["expired"] == 1 and counts["noncurrent_expired"] >= 1, counts

        versions = json.loads(aws("s3api", "list-object-versions", "--bucket", "cli-life", endpoint=ep).stdout)
        # In a versioned bucket expiring `tmp/a` made a delete marker; `doc` lost its older version.
        assert [(m["Key"], m["IsLatest"]) for m in versions["DeleteMarkers"]] == [("tmp/a", True)]
        left = sorted((v["Key"], v["IsLatest"]) for v in versions["Versions"])
        assert left in ([("doc", True), ("tmp/a", False)], [("doc", True)]), left

        aws("s3api", "delete-bucket-lifecycle", "--bucket", "cli-life", endpoint=ep)
        p = aws("s3api", "get-bucket-lifecycle-configuration", "--bucket", "cli-life", endpoint=ep, check=False)
        assert p.returncode != 0 and "NoSuchLifecycleConfiguration" in p.stderr
    finally:
        stop_server(s)


def test_list_object_versions_pages_through_3000_versions(aws, s3):
    """30 keys × 100 versions, listed by the AWS CLI in pages of 700 (it follows the key and
    version-id markers itself)."""
    aws("s3api", "create-bucket", "--bucket", "cli-versions")
    s3.put_bucket_versioning(Bucket="cli-versions", VersioningConfiguration={"Status": "Enabled"})
    ids = {}
    for v in range(100):
        for k in range(30):
            key = f"key{k:02}"
            ids.setdefault(key, []).append(s3.put_object(Bucket="cli-versions", Key=key, Body=b"v")["VersionId"])
    out = json.loads(aws("s3api", "list-object-versions", "--bucket", "cli-versions", "--page-size", "700").stdout)
    listed = [(v["Key"], v["VersionId"], v["IsLatest"]) for v in out["Versions"]]
    assert len(listed) == 3000
    expected = [(k, vid, i == 0) for k in sorted(ids) for i, vid in enumerate(reversed(ids[k]))]
    assert listed == expected


def test_iam_and_bucket_policy_with_the_cli(aws, server, tmp_path):
    """`aws iam` and `aws s3api put-bucket-policy` against Arca: a user whose access comes from
    the bucket policy alone (naming the user's ARN) reads, and nothing else, until a managed
    policy attached to a group they join lets them write."""
    assert json.loads(aws("sts", "get-caller-identity").stdout)["Arn"] == "arn:aws:iam::000000000000:root"
    aws("iam", "create-user", "--user-name", "cli-reader")
    users = json.loads(aws("iam", "list-users").stdout)["Users"]
    assert "cli-reader" in [u["UserName"] for u in users]
    key = json.loads(aws("iam", "create-access-key", "--user-name", "cli-reader").stdout)["AccessKey"]
    aws("s3api", "create-bucket", "--bucket", "cli-pol")
    src = tmp_path / "f.txt"
    src.write_text("policy-read")
    aws("s3", "cp", str(src), "s3://cli-pol/f.txt")
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:user/cli-reader"},
        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::cli-pol/*"}]}
    aws("s3api", "put-bucket-policy", "--bucket", "cli-pol", "--policy", json.dumps(policy))
    status = json.loads(aws("s3api", "get-bucket-policy-status", "--bucket", "cli-pol").stdout)
    assert status["PolicyStatus"]["IsPublic"] is False

    def as_reader(*args):
        import subprocess

        env = dict(os.environ, AWS_ACCESS_KEY_ID=key["AccessKeyId"], AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"],
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=str(tmp_path / "none"),
                   AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
        return subprocess.run(["aws", "--endpoint-url", server["endpoint"], *args], env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)

    who = as_reader("sts", "get-caller-identity")
    assert who.returncode == 0 and json.loads(who.stdout)["Arn"] == "arn:aws:iam::000000000000:user/cli-reader", who.stderr
    out = tmp_path / "out.txt"
    got = as_reader("s3", "cp", "s3://cli-pol/f.txt", str(out))
    assert got.returncode == 0, got.stderr
    assert out.read_text() == "policy-read"
    denied = as_reader("s3", "cp", str(src), "s3://cli-pol/g.txt")
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr

    # Writing, granted through a managed policy attached to a group the user joins.
    writer = tmp_path / "writer.json"
    writer.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::cli-pol/*"}]}))
    aws("iam", "create-group", "--group-name", "cli-writers")
    arn = json.loads(aws("iam", "create-policy", "--policy-name", "cli-write",
                         "--policy-document", f"file://{writer}").stdout)["Policy"]["Arn"]
    aws("iam", "attach-group-policy", "--group-name", "cli-writers", "--policy-arn", arn)
    aws("iam", "add-user-to-group", "--group-name", "cli-writers", "--user-name", "cli-reader")
    attached = json.loads(aws("iam", "list-attached-group-policies", "--group-name", "cli-writers").stdout)
    assert [p["PolicyArn"] for p in attached["AttachedPolicies"]] == [arn]
    got = as_reader("s3", "cp", str(src), "s3://cli-pol/g.txt")
    assert got.returncode == 0, got.stderr
    aws("iam", "remove-user-from-group", "--group-name", "cli-writers", "--user-name", "cli-reader")
    aws("iam", "detach-group-policy", "--group-name", "cli-writers", "--policy-arn", arn)
    aws("iam", "delete-policy", "--policy-arn", arn)
    aws("iam", "delete-group", "--group-name", "cli-writers")
    aws("iam", "delete-access-key", "--user-name", "cli-reader", "--access-key-id", key["AccessKeyId"])
    aws("iam", "delete-user", "--user-name", "cli-reader")
    gone = aws("iam", "get-user", "--user-name", "cli-reader", check=False)
    assert gone.returncode != 0 and "NoSuchEntity" in gone.stderr


def test_accounts_are_isolated_with_the_cli(aws, server):
    """A second account (added with `arca admin account add`) through the AWS CLI: `sts`
    names it, `s3api` shows only its buckets, `iam` only its users."""
    import json
    import uuid

    from test_boto3 import add_account

    suffix = uuid.uuid4().hex[:8]
    account, access, secret = add_account(server, "cli-" + suffix)
    keys = (access, secret)
    who = json.loads(aws("sts", "get-caller-identity", keys=keys).stdout)
    assert (who["Account"], who["Arn"]) == (account, f"arn:aws:iam::{account}:root")
    aws("s3api", "create-bucket", "--bucket", "cli-acct-" + suffix, keys=keys)
    mine = json.loads(aws("s3api", "list-buckets", keys=keys).stdout)
    assert [b["Name"] for b in mine["Buckets"]] == ["cli-acct-" + suffix]
    theirs = json.loads(aws("s3api", "list-buckets").stdout)
    assert "cli-acct-" + suffix not in [b["Name"] for b in theirs["Buckets"]]
    p = aws("s3api", "head-bucket", "--bucket", "cli-acct-" + suffix, check=False)
    assert p.returncode != 0 and "403" in p.stderr
    aws("iam", "create-user", "--user-name", "cli-user", keys=keys)
    users = json.loads(aws("iam", "list-users", keys=keys).stdout)["Users"]
    assert [u["Arn"] for u in users] == [f"arn:aws:iam::{account}:user/cli-user"]
    operators = json.loads(aws("iam", "list-users").stdout)["Users"]
    assert f"arn:aws:iam::{account}:user/cli-user" not in [u["Arn"] for u in operators]


def test_roles_and_acls_with_the_cli(aws, server, tmp_path):
    """`aws iam create-role`, `aws sts assume-role` and the temporary credentials it answers;
    `aws s3api put-bucket-ownership-controls` and an ACL a plain HTTP reader then sees."""
    import json
    import urllib.error
    import urllib.request
    import uuid

    suffix = uuid.uuid4().hex[:8]
    bucket, role = "cli-acl-" + suffix, "cli-reader-" + suffix
    aws("s3api", "create-bucket", "--bucket", bucket)
    (tmp_path / "doc").write_bytes(b"doc")
    aws("s3", "cp", str(tmp_path / "doc"), f"s3://{bucket}/doc")

    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "000000000000"}, "Action": "sts:AssumeRole"}]}
    read = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}
    aws("iam", "create-role", "--role-name", role, "--assume-role-policy-document", json.dumps(trust))
    aws("iam", "put-role-policy", "--role-name", role, "--policy-name", "read", "--policy-document", json.dumps(read))
    creds = json.loads(aws("sts", "assume-role", "--role-arn", f"arn:aws:iam::000000000000:role/{role}",
                           "--role-session-name", "cli").stdout)["Credentials"]
    keys = (creds["AccessKeyId"], creds["SecretAccessKey"])
    session_env = {"AWS_SESSION_TOKEN": creds["SessionToken"]}
    out = tmp_path / "got"
    p = aws("s3", "cp", f"s3://{bucket}/doc", str(out), keys=keys, env=session_env)
    assert out.read_bytes() == b"doc", p.stderr
    p = aws("s3", "cp", str(tmp_path / "doc"), f"s3://{bucket}/other", keys=keys, env=session_env, check=False)
    assert p.returncode != 0 and "AccessDenied" in p.stderr
    p = aws("s3", "cp", f"s3://{bucket}/doc", str(out), keys=keys, check=False)
    # A HEAD's answer has no body: the CLI shows the status (the server logs InvalidToken).
    assert p.returncode != 0 and "(400)" in p.stderr, "the token is part of the credentials"

    # ACLs: off until Object Ownership turns them on, then public grants reach curl.
    p = aws("s3api", "put-object-acl", "--bucket", bucket, "--key", "doc", "--acl", "public-read", check=False)
    assert p.returncode != 0 and "AccessControlListNotSupported" in p.stderr
    aws("s3api", "put-bucket-ownership-controls", "--bucket", bucket,
        "--ownership-controls", "Rules=[{ObjectOwnership=ObjectWriter}]")
    aws("s3api", "delete-public-access-block", "--bucket", bucket)
    aws("s3api", "put-object-acl", "--bucket", bucket, "--key", "doc", "--acl", "public-read")
    grants = json.loads(aws("s3api", "get-object-acl", "--bucket", bucket, "--key", "doc").stdout)["Grants"]
    assert {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"} in [g["Grantee"] for g in grants]
    with urllib.request.urlopen(f"{server['endpoint']}/{bucket}/doc") as r:
        assert r.read() == b"doc"
    aws("s3api", "put-object-acl", "--bucket", bucket, "--key", "doc", "--acl", "private")
    try:
        urllib.request.urlopen(f"{server['endpoint']}/{bucket}/doc")
        raise AssertionError("readable after the ACL went private")
    except urllib.error.HTTPError as e:
        assert e.code == 403
    aws("iam", "delete-role-policy", "--role-name", role, "--policy-name", "read")
    aws("iam", "delete-role", "--role-name", role)


def test_sse_s3_and_bucket_encryption_with_the_cli(aws, tmp_path):
    aws("s3api", "create-bucket", "--bucket", "cli-sse")
    body = tmp_path / "b.bin"
    write_random(body, 9 * 1024 * 1024, 7)
    # `aws s3 cp` of 9 MiB: a multipart upload, asked for SSE-S3.
    aws("s3", "cp", str(body), "s3://cli-sse/big.bin", "--sse", "AES256")
    head = json.loads(aws("s3api", "head-object", "--bucket", "cli-sse", "--key", "big.bin").stdout)
    assert head["ServerSideEncryption"] == "AES256"
    out = tmp_path / "out.bin"
    aws("s3", "cp", "s3://cli-sse/big.bin", str(out))
    assert sha(out) == sha(body)
    put = json.loads(
        aws("s3api", "put-object", "--bucket", "cli-sse", "--key", "k", "--body", str(body)).stdout
    )
    assert put["ServerSideEncryption"] == "AES256"
    got = json.loads(aws("s3api", "get-bucket-encryption", "--bucket", "cli-sse").stdout)
    rule = got["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    config = json.dumps({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                                    "BucketKeyEnabled": True}]})
    aws("s3api", "put-bucket-encryption", "--bucket", "cli-sse", "--server-side-encryption-configuration", config)
    got = json.loads(aws("s3api", "get-bucket-encryption", "--bucket", "cli-sse").stdout)
    assert got["ServerSideEncryptionConfiguration"]["Rules"][0]["BucketKeyEnabled"] is True
    aws("s3api", "delete-bucket-encryption", "--bucket", "cli-sse")
    # SSE-KMS under the account's aws/s3 key; dual-layer SSE-KMS is refused.
    put = json.loads(aws("s3api", "put-object", "--bucket", "cli-sse", "--key", "kms", "--body", str(body),
                         "--server-side-encryption", "aws:kms").stdout)
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"].startswith("arn:aws:kms:")
    p = aws("s3api", "put-object", "--bucket", "cli-sse", "--key", "dsse", "--body", str(body),
            "--server-side-encryption", "aws:kms:dsse", check=False)
    assert p.returncode != 0 and "NotImplemented" in p.stderr
    aws("s3", "rb", "--force", "s3://cli-sse")
