"""SSE-C with boto3 and the AWS CLI over HTTPS, as their users write it: keys on PUT, GET,
HEAD, copies and multipart transfers; the wrong key or none refused; presigned URLs."""

import base64
import hashlib
import os
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import ACCESS_KEY, SECRET_KEY, start_tls_server, stop_server

# boto3 takes the key as text and base64-encodes its UTF-8 bytes.
KEY = "0123456789abcdefghijklmnopqrstuv"
OTHER = "vutsrqponmlkjihgfedcba9876543210"


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    """A server on HTTPS with its own CA."""
    s = start_tls_server(tmp_path_factory.mktemp("ssec-tls"))
    yield s
    stop_server(s)


@pytest.fixture(scope="module")
def s3s(tls):
    c = boto3.client(
        "s3", endpoint_url=tls["endpoint"], aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1", verify=tls["ca"],
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )
    c.create_bucket(Bucket="ssec")
    return c


def code(e):
    return e.response["Error"]["Code"]


def status(e):
    return e.response["ResponseMetadata"]["HTTPStatusCode"]


def sse(key=KEY):
    # boto3 base64-encodes the key and adds its MD5 itself.
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


def test_boto3_put_get_head_with_a_customer_key(s3s):
    body = os.urandom(200_000)
    put = s3s.put_object(Bucket="ssec", Key="obj", Body=body, **sse())
    md5 = base64.b64encode(hashlib.md5(KEY.encode()).digest()).decode()
    assert put["SSECustomerAlgorithm"] == "AES256" and put["SSECustomerKeyMD5"] == md5
    assert "ServerSideEncryption" not in put
    assert put["ETag"].strip('"') != hashlib.md5(body).hexdigest()
    got = s3s.get_object(Bucket="ssec", Key="obj", **sse())
    assert got["Body"].read() == body and got["SSECustomerKeyMD5"] == md5
    ranged = s3s.get_object(Bucket="ssec", Key="obj", Range="bytes=65530-65540", **sse())
    assert ranged["Body"].read() == body[65530:65541]
    assert s3s.head_object(Bucket="ssec", Key="obj", **sse())["ContentLength"] == len(body)

    with pytest.raises(ClientError) as e:
        s3s.get_object(Bucket="ssec", Key="obj")
    assert (status(e.value), code(e.value)) == (400, "InvalidRequest")
    with pytest.raises(ClientError) as e:
        s3s.get_object(Bucket="ssec", Key="obj", **sse(OTHER))
    assert (status(e.value), code(e.value)) == (403, "AccessDenied")
    with pytest.raises(ClientError) as e:
        s3s.head_object(Bucket="ssec", Key="obj", **sse(OTHER))
    assert status(e.value) == 403
    # A key MD5 that is not the key's (boto3 computes it unless given).
    with pytest.raises(ClientError) as e:
        s3s.get_object(Bucket="ssec", Key="obj", SSECustomerKeyMD5=base64.b64encode(b"0" * 16).decode(), **sse())
    assert (status(e.value), code(e.value)) == (400, "InvalidArgument")


def test_boto3_transfers_and_copies_with_customer_keys(s3s, tmp_path):
    from boto3.s3.transfer import TransferConfig

    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(12 * 1024 * 1024 + 5))
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    s3s.upload_file(str(big), "ssec", "big.bin", Config=config, ExtraArgs=sse())
    head = s3s.head_object(Bucket="ssec", Key="big.bin", **sse())
    assert head["ETag"].endswith('-3"')
    back = tmp_path / "back.bin"
    s3s.download_file("ssec", "big.bin", str(back), Config=config, ExtraArgs=sse())
    assert back.read_bytes() == big.read_bytes()

    # Copy to another key, then to SSE-S3.
    s3s.copy_object(Bucket="ssec", Key="rekeyed", CopySource={"Bucket": "ssec", "Key": "big.bin"},
                    CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=KEY, **sse(OTHER))
    assert s3s.get_object(Bucket="ssec", Key="rekeyed", **sse(OTHER))["Body"].read() == big.read_bytes()
    with pytest.raises(ClientError) as e:
        s3s.get_object(Bucket="ssec", Key="rekeyed", **sse())
    assert status(e.value) == 403
    out = s3s.copy_object(Bucket="ssec", Key="plain", CopySource={"Bucket": "ssec", "Key": "rekeyed"},
                          CopySourceSSECustomerAlgorithm="AES256", CopySourceSSECustomerKey=OTHER)
    assert out["ServerSideEncryption"] == "AES256"
    assert s3s.get_object(Bucket="ssec", Key="plain")["Body"].read() == big.read_bytes()


def test_presigned_get_of_a_customer_key_object(s3s, tls):
    import ssl

    s3s.put_object(Bucket="ssec", Key="shared", Body=b"presigned and sealed", **sse())
    # SigV4 presigning signs the key headers; whoever uses the URL sends them (SigV2 would put
    # the key in the URL itself).
    signer = boto3.client(
        "s3", endpoint_url=tls["endpoint"], aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1", config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    url = signer.generate_presigned_url("get_object", Params={"Bucket": "ssec", "Key": "shared", **sse()})
    context = ssl.create_default_context(cafile=tls["ca"])
    headers = {
        "x-amz-server-side-encryption-customer-algorithm": "AES256",
        "x-amz-server-side-encryption-customer-key": base64.b64encode(KEY.encode()).decode(),
        "x-amz-server-side-encryption-customer-key-MD5": base64.b64encode(hashlib.md5(KEY.encode()).digest()).decode(),
    }
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), context=context) as r:
        assert r.read() == b"presigned and sealed"
    # The URL without the key headers opens nothing.
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url, context=context)
    assert e.value.code in (400, 403)


def test_cli_cp_with_sse_c(aws, tls, tmp_path):
    ep, ca = tls["endpoint"], tls["ca"]
    key_file = tmp_path / "key.bin"
    key_file.write_bytes(KEY.encode())
    body = tmp_path / "doc.bin"
    body.write_bytes(os.urandom(9 * 1024 * 1024 + 1))  # above the CLI's 8 MiB multipart threshold
    sse_args = ["--sse-c", "AES256", "--sse-c-key", f"fileb://{key_file}"]
    aws("--ca-bundle", ca, "s3", "mb", "s3://cli-ssec", endpoint=ep)
    aws("--ca-bundle", ca, "s3", "cp", str(body), "s3://cli-ssec/doc.bin", *sse_args, endpoint=ep)
    out = tmp_path / "out.bin"
    aws("--ca-bundle", ca, "s3", "cp", "s3://cli-ssec/doc.bin", str(out), *sse_args, endpoint=ep)
    assert out.read_bytes() == body.read_bytes()
    p = aws("--ca-bundle", ca, "s3", "cp", "s3://cli-ssec/doc.bin", str(tmp_path / "no"), endpoint=ep, check=False)
    assert p.returncode != 0
    head = aws("--ca-bundle", ca, "s3api", "head-object", "--bucket", "cli-ssec", "--key", "doc.bin",
               "--sse-customer-algorithm", "AES256", "--sse-customer-key", f"fileb://{key_file}", endpoint=ep).stdout
    assert '"SSECustomerAlgorithm": "AES256"' in head
