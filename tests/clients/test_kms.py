"""boto3's KMS client and `aws kms` against Arca's key management service, unchanged: keys,
aliases, Encrypt/Decrypt/ReEncrypt, data keys, rotation, key policies, tags, deletion."""

import base64
import json
import subprocess

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from conftest import ACCESS_KEY, SECRET_KEY


def code(e):
    return e.response["Error"]["Code"]


def kms_client(server, access=ACCESS_KEY, secret=SECRET_KEY):
    return boto3.client("kms", endpoint_url=server["endpoint"], aws_access_key_id=access,
                        aws_secret_access_key=secret, region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}))


def iam_client(server):
    return boto3.client("iam", endpoint_url=server["endpoint"], aws_access_key_id=ACCESS_KEY,
                        aws_secret_access_key=SECRET_KEY, region_name="us-east-1")


def new_user(iam, name):
    """An IAM user with no policy, and its access key."""
    iam.create_user(UserName=name)
    return iam.create_access_key(UserName=name)["AccessKey"]


@pytest.fixture(scope="module")
def kms(server):
    return kms_client(server)


def test_keys_encrypt_decrypt_and_context(kms):
    key = kms.create_key(Description="for tests", Tags=[{"TagKey": "team", "TagValue": "storage"}])["KeyMetadata"]
    assert key["KeyState"] == "Enabled" and key["Enabled"] is True
    assert key["Arn"] == f"arn:aws:kms:us-east-1:000000000000:key/{key['KeyId']}"
    assert key["KeySpec"] == "SYMMETRIC_DEFAULT" and key["KeyManager"] == "CUSTOMER"
    assert key["KeyId"] in [k["KeyId"] for k in kms.list_keys()["Keys"]]
    assert kms.describe_key(KeyId=key["Arn"])["KeyMetadata"]["Description"] == "for tests"

    context = {"purpose": "test", "bucket": "b"}
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"attack at dawn", EncryptionContext=context)
    assert blob["KeyId"] == key["Arn"]
    out = kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext=context)
    assert out["Plaintext"] == b"attack at dawn" and out["KeyId"] == key["Arn"]
    # The context is bound: missing or different, the ciphertext does not open.
    for wrong in ({}, {"purpose": "other", "bucket": "b"}):
        with pytest.raises(ClientError) as e:
            kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext=wrong)
        assert code(e.value) == "InvalidCiphertextException"
    tampered = bytearray(blob["CiphertextBlob"])
    tampered[-1] ^= 1
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=bytes(tampered), EncryptionContext=context)
    assert code(e.value) == "InvalidCiphertextException"

    # Data keys: plaintext and ciphertext, or ciphertext only.
    dk = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    assert len(dk["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
    bare = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], NumberOfBytes=16)
    assert "Plaintext" not in bare and len(kms.decrypt(CiphertextBlob=bare["CiphertextBlob"])["Plaintext"]) == 16
    assert len(kms.generate_random(NumberOfBytes=64)["Plaintext"]) == 64

    # ReEncrypt under another key, with a new context.
    other = kms.create_key()["KeyMetadata"]
    moved = kms.re_encrypt(CiphertextBlob=blob["CiphertextBlob"], SourceEncryptionContext=context,
                           DestinationKeyId=other["KeyId"], DestinationEncryptionContext={"v": "2"})
    assert moved["SourceKeyId"] == key["Arn"] and moved["KeyId"] == other["Arn"]
    assert kms.decrypt(CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"v": "2"})["Plaintext"] == b"attack at dawn"
    # Naming the wrong key for a ciphertext is refused.
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"v": "2"}, KeyId=key["KeyId"])
    assert code(e.value) == "IncorrectKeyException"

    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "team", "TagValue": "storage"}]
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "env", "TagValue": "ci"}])
    kms.untag_resource(KeyId=key["KeyId"], TagKeys=["team"])
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "env", "TagValue": "ci"}]


def test_disabled_and_deleted_keys_refuse(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Disabled"
    for call in (lambda: kms.encrypt(KeyId=key, Plaintext=b"x"), lambda: kms.decrypt(CiphertextBlob=blob)):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e.value) == "DisabledException"
    kms.enable_key(KeyId=key)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"

    for days in (6, 31):
        with pytest.raises(ClientError) as e:
            kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=days)
        assert code(e.value) == "ValidationException"
    scheduled = kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingDeletion" and scheduled["PendingWindowInDays"] == 7
    with pytest.raises(ClientError) as e:
        kms.decrypt(CiphertextBlob=blob)
    assert code(e.value) == "KMSInvalidStateException"
    kms.cancel_key_deletion(KeyId=key)
    # A cancelled deletion leaves the key disabled, as KMS does.
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=key)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_aliases(kms):
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/tests-app", TargetKeyId=key["KeyId"])
    blob = kms.encrypt(KeyId="alias/tests-app", Plaintext=b"via alias")
    assert blob["KeyId"] == key["Arn"]
    aliases = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/tests-app"]["TargetKeyId"] == key["KeyId"]
    assert aliases["alias/tests-app"]["AliasArn"] == "arn:aws:kms:us-east-1:000000000000:alias/tests-app"
    with pytest.raises(ClientError) as e:
        kms.create_alias(AliasName="alias/tests-app", TargetKeyId=key["KeyId"])
    assert code(e.value) == "AlreadyExistsException"
    for bad, expected in (("alias/aws/s3", "InvalidAliasNameException"), ("no-prefix", "ValidationException")):
        with pytest.raises(ClientError) as e:
            kms.create_alias(AliasName=bad, TargetKeyId=key["KeyId"])
        assert code(e.value) == expected
    other = kms.create_key()["KeyMetadata"]
    kms.update_alias(AliasName="alias/tests-app", TargetKeyId=other["KeyId"])
    assert kms.describe_key(KeyId="alias/tests-app")["KeyMetadata"]["KeyId"] == other["KeyId"]
    kms.delete_alias(AliasName="alias/tests-app")
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId="alias/tests-app")
    assert code(e.value) == "NotFoundException"


def test_rotation_keeps_old_ciphertexts_readable(kms):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key)
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    before = kms.encrypt(KeyId=key, Plaintext=b"before")["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key)
    rotations = kms.list_key_rotations(KeyId=key)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    after = kms.encrypt(KeyId=key, Plaintext=b"after")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=before)["Plaintext"] == b"before"
    assert kms.decrypt(CiphertextBlob=after)["Plaintext"] == b"after"
    kms.disable_key_rotation(KeyId=key)
    assert kms.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is False


def test_key_policies_decide_who_uses_a_key(server, kms):
    iam = iam_client(server)
    creds = new_user(iam, "kms-user")
    user = kms_client(server, creds["AccessKeyId"], creds["SecretAccessKey"])

    key = kms.create_key()["KeyMetadata"]
    assert json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])["Statement"][0][
        "Principal"] == {"AWS": "arn:aws:iam::000000000000:root"}
    assert kms.list_key_policies(KeyId=key["KeyId"])["PolicyNames"] == ["default"]
    # The default policy delegates to the account: a user with no policy of their own may not.
    with pytest.raises(ClientError) as e:
        user.encrypt(KeyId=key["Arn"], Plaintext=b"x")
    assert code(e.value) == "AccessDeniedException"
    iam.put_user_policy(UserName="kms-user", PolicyName="use", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": key["Arn"],
                       "Condition": {"StringEquals": {"kms:EncryptionContext:app": "billing"}}}]}))
    blob = user.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"app": "billing"})["CiphertextBlob"]
    assert user.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "billing"})["Plaintext"] == b"x"
    with pytest.raises(ClientError) as e:
        user.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"app": "other"})
    assert code(e.value) == "AccessDeniedException"
    # A key policy that denies the user wins over their own Allow.
    deny = {"Version": "2012-10-17", "Statement": [
        {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "no-user", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::000000000000:user/kms-user"},
         "Action": "kms:Decrypt", "Resource": "*"}]}
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(deny))
    with pytest.raises(ClientError) as e:
        user.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "billing"})
    assert code(e.value) == "AccessDeniedException"
    for bad in ("not json", json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]})):
        with pytest.raises(ClientError) as e:
            kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=bad)
        assert code(e.value) == "MalformedPolicyDocumentException"
    iam.delete_user_policy(UserName="kms-user", PolicyName="use")
    iam.delete_access_key(UserName="kms-user", AccessKeyId=creds["AccessKeyId"])
    iam.delete_user(UserName="kms-user")


def test_unsupported_parameters_are_refused(kms):
    with pytest.raises(ClientError) as e:
        kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    assert code(e.value) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as e:
        kms.describe_key(KeyId="1234abcd-0000-0000-0000-000000000000")
    assert code(e.value) == "NotFoundException"


def test_the_aws_cli_drives_kms(server, tmp_path):
    env = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_DEFAULT_REGION": "us-east-1",
           "PATH": __import__("os").environ["PATH"], "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}

    def aws(*args):
        out = subprocess.run(["aws", "--endpoint-url", server["endpoint"], "kms", *args, "--output", "json"],
                             env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout) if out.stdout.strip() else {}

    key = aws("create-key", "--description", "cli")["KeyMetadata"]["KeyId"]
    aws("create-alias", "--alias-name", "alias/cli-key", "--target-key-id", key)
    plain_file, blob_file = tmp_path / "plain.txt", tmp_path / "blob.bin"
    plain_file.write_bytes(b"from the cli")
    blob = aws("encrypt", "--key-id", "alias/cli-key", "--plaintext", f"fileb://{plain_file}",
               "--encryption-context", "who=cli")["CiphertextBlob"]
    blob_file.write_bytes(base64.b64decode(blob))
    plain = aws("decrypt", "--ciphertext-blob", f"fileb://{blob_file}", "--encryption-context", "who=cli")
    assert base64.b64decode(plain["Plaintext"]) == b"from the cli"
    assert aws("describe-key", "--key-id", "alias/cli-key")["KeyMetadata"]["KeyState"] == "Enabled"
    assert "alias/cli-key" in [a["AliasName"] for a in aws("list-aliases")["Aliases"]]


def test_grants_allow_until_retired_or_revoked(server, kms):
    iam = iam_client(server)
    creds = new_user(iam, "grantee")
    user = kms_client(server, creds["AccessKeyId"], creds["SecretAccessKey"])
    grantee = "arn:aws:iam::000000000000:user/grantee"
    key = kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as e:
        user.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "a"})
    assert code(e.value) == "AccessDeniedException"

    grant = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee, Name="tenant-a",
                             Operations=["Encrypt", "Decrypt"],
                             Constraints={"EncryptionContextSubset": {"tenant": "a"}})
    blob = user.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "a", "extra": "1"})
    assert user.decrypt(CiphertextBlob=blob["CiphertextBlob"],
                        EncryptionContext={"tenant": "a", "extra": "1"})["Plaintext"] == b"x"
    # Outside its constraint, or for another operation, the grant does nothing.
    with pytest.raises(ClientError) as e:
        user.encrypt(KeyId=key["Arn"], Plaintext=b"x", EncryptionContext={"tenant": "b"})
    assert code(e.value) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        user.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256", EncryptionContext={"tenant": "a"})
    assert code(e.value) == "AccessDeniedException"
    # The grantee cannot hand out more than it was given.
    with pytest.raises(ClientError) as e:
        user.create_grant(KeyId=key["Arn"], GranteePrincipal=grantee, Operations=["Decrypt"])
    assert code(e.value) == "AccessDeniedException"

    listed = kms.list_grants(KeyId=key["KeyId"])["Grants"]
    assert [(g["GrantId"], g["Name"], g["GranteePrincipal"], sorted(g["Operations"])) for g in listed] == [
        (grant["GrantId"], "tenant-a", grantee, ["Decrypt", "Encrypt"])]
    assert listed[0]["Constraints"] == {"EncryptionContextSubset": {"tenant": "a"}}
    with pytest.raises(ClientError) as e:
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee, Operations=["Sign"])
    assert code(e.value) == "ValidationException"

    # Retired (by its token, as the account that made it): the user is refused again.
    kms.retire_grant(GrantToken=grant["GrantToken"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    with pytest.raises(ClientError) as e:
        user.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"tenant": "a", "extra": "1"})
    assert code(e.value) == "AccessDeniedException"
    # Revoked: likewise.
    again = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee, Operations=["Decrypt"])
    assert user.decrypt(CiphertextBlob=blob["CiphertextBlob"],
                        EncryptionContext={"tenant": "a", "extra": "1"})["Plaintext"] == b"x"
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=again["GrantId"])
    with pytest.raises(ClientError) as e:
        user.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"tenant": "a", "extra": "1"})
    assert code(e.value) == "AccessDeniedException"
    with pytest.raises(ClientError) as e:
        kms.revoke_grant(KeyId=key["KeyId"], GrantId=again["GrantId"])
    assert code(e.value) == "NotFoundException"
    iam.delete_access_key(UserName="grantee", AccessKeyId=creds["AccessKeyId"])
    iam.delete_user(UserName="grantee")


def test_sse_kms_objects_with_boto3(server, kms, tmp_path):
    import requests
    from conftest import make_client

    s3 = make_client(server, signature_version="s3v4")
    bucket = "sse-kms-" + __import__("uuid").uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    key = kms.create_key(Description="objects")["KeyMetadata"]

    # No key named: the account's aws/s3 key, made on first use.
    put = s3.put_object(Bucket=bucket, Key="default", Body=b"under aws/s3", ServerSideEncryption="aws:kms")
    assert put["ServerSideEncryption"] == "aws:kms"
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert put["SSEKMSKeyId"] == managed["Arn"] and managed["KeyManager"] == "AWS"

    context = base64.b64encode(json.dumps({"project": "arca"}).encode()).decode()
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"under a customer key", ServerSideEncryption="aws:kms",
                        SSEKMSKeyId=key["KeyId"], SSEKMSEncryptionContext=context)
    assert put["SSEKMSKeyId"] == key["Arn"]
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"under a customer key"
    assert got["ServerSideEncryption"] == "aws:kms" and got["SSEKMSKeyId"] == key["Arn"]
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key["Arn"]
    # A presigned URL reads it too: the signer's permissions apply at use.
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    assert requests.get(url).content == b"under a customer key"

    # Disabled key: unreadable until enabled again; pending deletion likewise.
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k")
    assert code(e.value) == "KMS.DisabledException" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k2", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    assert code(e.value) == "KMS.DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"under a customer key"

    # Multipart with SSE-KMS, then copies between the modes.
    big = tmp_path / "big.bin"
    big.write_bytes(__import__("os").urandom(11 * 1024 * 1024))
    from boto3.s3.transfer import TransferConfig
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    s3.upload_file(str(big), bucket, "big", Config=config,
                   ExtraArgs={"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key["Arn"]})
    assert s3.head_object(Bucket=bucket, Key="big")["SSEKMSKeyId"] == key["Arn"]
    out = tmp_path / "out.bin"
    s3.download_file(bucket, "big", str(out))
    assert out.read_bytes() == big.read_bytes()
    to_s3 = s3.copy_object(Bucket=bucket, Key="as-sse-s3", CopySource={"Bucket": bucket, "Key": "k"},
                           ServerSideEncryption="AES256")
    assert to_s3["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in to_s3
    back = s3.copy_object(Bucket=bucket, Key="as-kms", CopySource={"Bucket": bucket, "Key": "as-sse-s3"},
                          ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"])
    assert back["SSEKMSKeyId"] == key["Arn"]
    assert s3.get_object(Bucket=bucket, Key="as-kms")["Body"].read() == b"under a customer key"
    # Re-encrypting in place: SSE-KMS onto itself as SSE-S3.
    s3.copy_object(Bucket=bucket, Key="as-kms", CopySource={"Bucket": bucket, "Key": "as-kms"},
                   ServerSideEncryption="AES256")
    assert s3.head_object(Bucket=bucket, Key="as-kms")["ServerSideEncryption"] == "AES256"

    # The bucket's default: SSE-KMS under the key, for writes that ask nothing.
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}}]})
    put = s3.put_object(Bucket=bucket, Key="by-default", Body=b"d")
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == key["Arn"]
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}

    # Refused: a malformed context, KMS headers without aws:kms, a missing key.
    for extra, expected in [
        ({"ServerSideEncryption": "aws:kms", "SSEKMSEncryptionContext": "not-base64-json"}, "InvalidArgument"),
        ({"ServerSideEncryption": "AES256", "SSEKMSKeyId": key["KeyId"]}, "InvalidArgument"),
        ({"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/missing"}, "KMS.NotFoundException"),
    ]:
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="refused", Body=b"x", **extra)
        assert code(e.value) == expected, extra
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="refused")


def test_sse_kms_with_a_bucket_key(server, kms, tmp_path):
    """A bucket default of SSE-KMS with an S3 Bucket Key, as boto3 users set it: objects say
    BucketKeyEnabled, read back, copy and upload in parts; a disabled key stops reads at once
    even though the bucket key is held."""
    from boto3.s3.transfer import TransferConfig
    from conftest import make_client

    s3 = make_client(server, signature_version="s3v4")
    bucket = "bucket-key-" + __import__("uuid").uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    key = kms.create_key()["KeyMetadata"]
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["KeyId"]},
        "BucketKeyEnabled": True}]})
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["BucketKeyEnabled"] is True
    for i in range(5):
        put = s3.put_object(Bucket=bucket, Key=f"k{i}", Body=f"object {i}".encode())
        assert put["BucketKeyEnabled"] is True and put["SSEKMSKeyId"] == key["Arn"]
    got = s3.get_object(Bucket=bucket, Key="k3")
    assert got["Body"].read() == b"object 3" and got["BucketKeyEnabled"] is True
    assert s3.head_object(Bucket=bucket, Key="k1")["BucketKeyEnabled"] is True
    # A write may opt out, and gets a key of its own from the KMS.
    own = s3.put_object(Bucket=bucket, Key="own", Body=b"own", ServerSideEncryption="aws:kms", BucketKeyEnabled=False)
    assert "BucketKeyEnabled" not in own
    big = tmp_path / "big.bin"
    big.write_bytes(__import__("os").urandom(11 * 1024 * 1024))
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    s3.upload_file(str(big), bucket, "big.bin", Config=config)
    assert s3.head_object(Bucket=bucket, Key="big.bin")["BucketKeyEnabled"] is True
    out = tmp_path / "out.bin"
    s3.download_file(bucket, "big.bin", str(out))
    assert out.read_bytes() == big.read_bytes()
    copied = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "k0"})
    assert copied["BucketKeyEnabled"] is True
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == b"object 0"

    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="k3")
    assert code(e.value) == "KMS.DisabledException"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="k9", Body=b"x")
    assert code(e.value) == "KMS.DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    assert s3.get_object(Bucket=bucket, Key="k3")["Body"].read() == b"object 3"


def test_sse_kms_needs_the_requesters_kms_permissions(server, kms):
    from conftest import make_client

    iam = iam_client(server)
    s3 = make_client(server, signature_version="s3v4")
    bucket = "sse-kms-perm-" + __import__("uuid").uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    key = kms.create_key()["KeyMetadata"]
    s3.put_object(Bucket=bucket, Key="secret", Body=b"s", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    creds = new_user(iam, "s3-only")
    iam.put_user_policy(UserName="s3-only", PolicyName="s3", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                       "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    user = boto3.client("s3", endpoint_url=server["endpoint"], aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    # S3 permissions alone: SSE-S3 objects yes, SSE-KMS ones no.
    user.put_object(Bucket=bucket, Key="plain", Body=b"p")
    for call in (lambda: user.get_object(Bucket=bucket, Key="secret"),
                 lambda: user.put_object(Bucket=bucket, Key="new", Body=b"n", ServerSideEncryption="aws:kms",
                                         SSEKMSKeyId=key["Arn"])):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e.value) == "AccessDenied"
    iam.put_user_policy(UserName="s3-only", PolicyName="kms", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key["Arn"],
                       "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}]}))
    assert user.get_object(Bucket=bucket, Key="secret")["Body"].read() == b"s"
    user.put_object(Bucket=bucket, Key="new", Body=b"n", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    # The condition holds for S3 only: the user may not call KMS directly.
    user_kms = kms_client(server, creds["AccessKeyId"], creds["SecretAccessKey"])
    with pytest.raises(ClientError) as e:
        user_kms.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256")
    assert code(e.value) == "AccessDeniedException"
    for name in ("s3", "kms"):
        iam.delete_user_policy(UserName="s3-only", PolicyName=name)
    iam.delete_access_key(UserName="s3-only", AccessKeyId=creds["AccessKeyId"])
    iam.delete_user(UserName="s3-only")
