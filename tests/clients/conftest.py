"""Starts one real `arca server` for the client suite and hands out clients for it."""

import os
import shutil
import subprocess
import tempfile
import uuid

import boto3
import pytest
from botocore.config import Config

ACCESS_KEY = "AKIDARCACLIENTS00001"
SECRET_KEY = "arca-client-suite-secret-0123456789abcdef"


def arca_binary():
    path = os.environ.get("ARCA_BIN")
    if not path:
        raise RuntimeError("ARCA_BIN must point at the arca binary (scripts/test sets it)")
    return path


def start_server(*extra):
    """Starts `arca server` on a fresh folder and a free loopback port."""
    data = tempfile.mkdtemp(prefix="arca-clients-")
    env = dict(os.environ, ARCA_ROOT_ACCESS_KEY=ACCESS_KEY, ARCA_ROOT_SECRET_KEY=SECRET_KEY, ARCA_LOG="warn")
    proc = subprocess.Popen(
        [arca_binary(), "server", "--data", data, "--address", "127.0.0.1:0", *extra],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    line = proc.stdout.readline()
    assert line.startswith("arca listening on "), line
    return {"endpoint": line.split()[-1], "data": data, "proc": proc}


def start_tls_server(folder):
    """Starts `arca server` on HTTPS with a certificate of a fresh CA (written to `folder`);
    the answer also names the CA's PEM file (`ca`)."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_pem, key_pem, ca_pem = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_pem))
    cert.private_key_pem.write_to_path(str(key_pem))
    ca.cert_pem.write_to_path(str(ca_pem))
    server = start_server("--tls-cert", str(cert_pem), "--tls-key", str(key_pem))
    server["ca"] = str(ca_pem)
    return server


def stop_server(server):
    server["proc"].terminate()
    assert server["proc"].wait(timeout=60) == 0
    shutil.rmtree(server["data"], ignore_errors=True)


@pytest.fixture(scope="session")
def server():
    s = start_server()
    yield s
    stop_server(s)


def make_client(server, secret_key=SECRET_KEY, signature_version=None, region="us-east-1"):
    """A boto3 S3 client for `server` (path-style, no retries); `signature_version` "s3" is
    SigV2, "s3v4" SigV4, None botocore's default; `region` the one it signs for."""
    return boto3.client(
        "s3",
        endpoint_url=server["endpoint"],
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=Config(
            signature_version=signature_version,
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
        ),
    )


@pytest.fixture(scope="session")
def s3(server):
    return make_client(server)


@pytest.fixture()
def bucket(s3):
    name = "t-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def aws(server, tmp_path_factory):
    """Runs the AWS CLI against the server; returns stdout, raises on failure."""
    home = tmp_path_factory.mktemp("awshome")
    base = dict(
        os.environ,
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
    )

    def run(*args, check=True, endpoint=None, keys=None, env=None):
        """`keys`: another (access key id, secret) pair to sign with than the operator's;
        `env`: more environment (a session token)."""
        cmd = ["aws", "--endpoint-url", endpoint or server["endpoint"], *args]
        signer = dict(base if keys is None else dict(base, AWS_ACCESS_KEY_ID=keys[0], AWS_SECRET_ACCESS_KEY=keys[1]),
                      **(env or {}))
        p = subprocess.run(cmd, env=signer, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr}")
        return p

    return run
