"""The emulated accounts enforce the trust chain the function relies on.

If one of these fails, the e2e tests of the function would prove nothing: they must run
against the deployed policies, enforced. No function zip is needed here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from emulator import (BUCKET_ACCOUNT, LAMBDA_ACCOUNT, NONCURRENT_VERSION_EXPIRATION_DAYS, TARGET_ROLE, EmulatorError,
                      _process_alive, _session, combine_policies, prefix_writers_policy, render_policy)

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def error_code(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def target_s3(emulator):
    return emulator.client("s3", emulator.assume_target())


def test_execution_credentials_are_a_session_of_the_execution_role(emulator):
    caller = emulator.client("sts", "execution").get_caller_identity()
    assert caller["Account"] == LAMBDA_ACCOUNT
    assert ":assumed-role/writer-exec/" in caller["Arn"]


def test_execution_role_assumes_target_with_the_external_id(emulator):
    caller = emulator.client("sts", emulator.assume_target()).get_caller_identity()
    assert caller["Account"] == BUCKET_ACCOUNT
    assert f":assumed-role/{TARGET_ROLE}/" in caller["Arn"]


@pytest.mark.parametrize("external_id", ["wrong-external-id", ""], ids=["wrong", "missing"])
def test_target_trust_refuses_other_external_ids(emulator, external_id):
    with pytest.raises(ClientError) as refused:
        emulator.assume_target(external_id=external_id or "")
    assert error_code(refused) == "AccessDenied"


def test_role_without_the_assume_grant_is_refused(emulator):
    with pytest.raises(ClientError) as refused:
        emulator.assume_target(identity="no_assume")
    assert error_code(refused) == "AccessDenied"


def test_target_role_writes_under_the_prefix(emulator):
    key = emulator.state["key_prefix"] + "emulator-check/allowed.txt"
    target_s3(emulator).put_object(Bucket=emulator.state["bucket"], Key=key, Body=b"ok",
                                   ServerSideEncryption="AES256")
    head = emulator.client("s3", "bucket_root").head_object(Bucket=emulator.state["bucket"], Key=key)
    assert head["ContentLength"] == 2


def test_target_role_cannot_write_outside_the_prefix(emulator):
    with pytest.raises(ClientError) as refused:
        target_s3(emulator).put_object(Bucket=emulator.state["bucket"], Key="elsewhere/x.txt", Body=b"no",
                                       ServerSideEncryption="AES256")
    assert error_code(refused) == "AccessDenied"


def test_target_role_heads_objects_under_the_prefix_only(emulator):
    """HeadObject needs s3:GetObject: the identity check after a 412, the HEAD before an If-Match overwrite."""
    bucket, s3 = emulator.state["bucket"], target_s3(emulator)
    key = emulator.state["key_prefix"] + "emulator-check/head.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"record", IfNoneMatch="*")
    etag = s3.head_object(Bucket=bucket, Key=key)["ETag"]
    s3.put_object(Bucket=bucket, Key=key, Body=b"record, replaced", IfMatch=etag)
    root = emulator.client("s3", "bucket_root")
    version = root.put_object(Bucket=bucket, Key="elsewhere/head.txt", Body=b"not yours")["VersionId"]
    try:
        with pytest.raises(ClientError) as refused:
            s3.head_object(Bucket=bucket, Key="elsewhere/head.txt")
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    finally:  # the deployment tests check that nothing exists outside the prefix
        root.delete_object(Bucket=bucket, Key="elsewhere/head.txt", VersionId=version)
    with pytest.raises(ClientError) as refused:
        s3.list_objects_v2(Bucket=bucket, Prefix=emulator.state["key_prefix"])
    assert error_code(refused) == "AccessDenied"


def test_execution_role_reads_the_exact_source_version(emulator):
    """S3 notifications of the (versioned) source bucket name a versionId: GetObject with it is s3:GetObjectVersion."""
    source = emulator.state["source_bucket"]
    root = emulator.client("s3", "lambda_root")
    assert root.get_bucket_versioning(Bucket=source)["Status"] == "Enabled"
    first = root.put_object(Bucket=source, Key="emulator-check/doc.txt", Body=b"v1")["VersionId"]
    root.put_object(Bucket=source, Key="emulator-check/doc.txt", Body=b"v2")
    got = emulator.client("s3", "execution").get_object(Bucket=source, Key="emulator-check/doc.txt", VersionId=first)
    assert got["Body"].read() == b"v1"


def test_bucket_policy_refuses_a_put_naming_another_encryption(emulator):
    with pytest.raises(ClientError) as refused:
        target_s3(emulator).put_object(Bucket=emulator.state["bucket"], ServerSideEncryption="aws:kms",
                                       Key=emulator.state["key_prefix"] + "emulator-check/kms.txt", Body=b"no")
    assert error_code(refused) == "AccessDenied"


def test_a_put_without_encryption_header_gets_the_default(emulator):
    """The deny fires only when a request names another encryption (StringNotEquals + Null false)."""
    key = emulator.state["key_prefix"] + "emulator-check/default-sse.txt"
    target_s3(emulator).put_object(Bucket=emulator.state["bucket"], Key=key, Body=b"ok")
    head = emulator.client("s3", "bucket_root").head_object(Bucket=emulator.state["bucket"], Key=key)
    assert head["ServerSideEncryption"] == "AES256"


def test_bucket_policy_refuses_insecure_transport(emulator):
    """The gateway is TLS-only; ministack reads aws:SecureTransport from X-Forwarded-Proto, so claim http."""
    s3 = target_s3(emulator)
    s3.meta.events.register("before-sign.s3.PutObject",
                            lambda request, **_: request.headers.__setitem__("X-Forwarded-Proto", "http"))
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=emulator.state["bucket"], Key=emulator.state["key_prefix"] + "emulator-check/http.txt",
                      Body=b"no", ServerSideEncryption="AES256")
    assert error_code(refused) == "AccessDenied"


def test_target_bucket_is_configured_like_terraform(emulator):
    s3 = emulator.client("s3", "bucket_root")
    bucket = emulator.state["bucket"]
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [(r["ID"], r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"],
             r["NoncurrentVersionExpiration"]["NoncurrentDays"]) for r in lifecycle] == [
        ("abort-incomplete-multipart-uploads", 1, NONCURRENT_VERSION_EXPIRATION_DAYS)]


@pytest.fixture(scope="module")
def other_writer_of_the_bucket_account(emulator):
    """A role of the bucket account whose own policy may put objects anywhere in the bucket."""
    iam = emulator.client("iam", "bucket_root")
    iam.create_role(RoleName="other-writer", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"AWS": f"arn:aws:iam::{BUCKET_ACCOUNT}:root"}}]}))
    iam.put_role_policy(RoleName="other-writer", PolicyName="put-anywhere", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject",
                                                "Resource": f"arn:aws:s3:::{emulator.state['bucket']}/*"}]}))
    session = emulator.client("sts", "bucket_root").assume_role(
        RoleArn=f"arn:aws:iam::{BUCKET_ACCOUNT}:role/other-writer", RoleSessionName="other-writer")
    return _session(session["Credentials"])


def test_other_principals_of_the_bucket_account_cannot_write_under_the_prefix(emulator, other_writer_of_the_bucket_account):
    """DenyObjectWritesUnderThePrefixByOtherPrincipals: aws:PrincipalArn other than the target role."""
    bucket, s3 = emulator.state["bucket"], emulator.client("s3", other_writer_of_the_bucket_account)
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key=emulator.state["key_prefix"] + "emulator-check/spoofed.txt", Body=b"no",
                      IfNoneMatch="*")
    assert error_code(refused) == "AccessDenied"
    # Its own grant still works elsewhere in the bucket: the deny covers the prefix only.
    root = emulator.client("s3", "bucket_root")
    version = s3.put_object(Bucket=bucket, Key="elsewhere/other-writer.txt", Body=b"mine")["VersionId"]
    root.delete_object(Bucket=bucket, Key="elsewhere/other-writer.txt", VersionId=version)
    # ... and the target role still writes under the prefix (the deny's exception).
    target_s3(emulator).put_object(Bucket=bucket, Key=emulator.state["key_prefix"] + "emulator-check/own.txt",
                                   Body=b"ok", IfNoneMatch="*")


def test_deployed_policies_are_the_rendered_templates(emulator):
    """One source of truth: what the emulator serves is infra/modules/*/policies, rendered."""
    iam = emulator.client("iam", "bucket_root")
    stored = iam.get_role_policy(RoleName=TARGET_ROLE, PolicyName="target-write")["PolicyDocument"]
    stored = json.loads(stored) if isinstance(stored, str) else stored
    assert stored == render_policy("target-write", bucket_arn=f"arn:aws:s3:::{emulator.state['bucket']}",
                                   key_prefix=emulator.state["key_prefix"])


def test_bucket_policy_is_the_rendered_template(emulator):
    """Including DenyUnconditionalWritesUnderThePrefix, which ministack provisions but cannot enforce."""
    stored = emulator.client("s3", "bucket_root").get_bucket_policy(Bucket=emulator.state["bucket"])["Policy"]
    bucket_arn = f"arn:aws:s3:::{emulator.state['bucket']}"
    expected = combine_policies(
        render_policy("bucket-policy", bucket_arn=bucket_arn, key_prefix=emulator.state["key_prefix"],
                      sse_algorithm="AES256"),
        prefix_writers_policy(bucket_arn, emulator.state["target_role_arn"]))
    assert json.loads(stored) == expected
    prefix_writers = expected["Statement"][-1]
    assert prefix_writers["Sid"] == "DenyObjectWritesUnderThePrefixByOtherPrincipals"
    assert prefix_writers["Condition"]["ArnNotLike"]["aws:PrincipalArn"][0] == emulator.state["target_role_arn"]


def test_rendering_fails_loudly_on_a_missing_placeholder():
    with pytest.raises(EmulatorError, match="target_role_arn"):
        render_policy("execution-assume-target")


def test_cli_up_env_down(tmp_path):
    """The CLI the Rust integration tests use: up leaves ministack running, down removes everything."""
    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, str(SCRIPTS / "emulator.py"), *args, "--state", str(tmp_path)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    state = json.loads(run("up"))
    try:
        assert json.loads((tmp_path / "emulator.json").read_text()) == state
        assert _process_alive(state["pid"])
        env = dict(line.split("=", 1) for line in run("env").splitlines())
        assert env["AWS_ENDPOINT_URL"] == state["endpoint"]
        assert env["TARGET_EXTERNAL_ID"] == state["external_id"]
        assert env["AWS_SESSION_TOKEN"] == state["execution_credentials"]["session_token"]
    finally:
        run("down")
    assert not Path(state["run_dir"]).exists()
    assert not (tmp_path / "emulator.json").exists()
    assert not _process_alive(state["pid"])
    run("down")  # idempotent
