"""Application Load Balancer targets end to end: a load balancer in the lambda account whose
listener forwards to a target group of type ``lambda`` holding the deployed function, reached
through the emulator's ALB data plane (``/_alb/<name>/...``). The load balancer builds the
event (``requestContext.elb``; ``multiValueHeaders`` when the target group's
``lambda.multi_value_headers.enabled`` is on) and turns the function's answer into the HTTP
response, so a wrong answer shape shows here as a 502 or a wrong status.

The object is read back from the bucket account and compared byte for byte; its key is
``http/<Lambda request ID>`` (ALB events carry no request ID of their own).
"""

from __future__ import annotations

import json
import os
import ssl
import urllib.error
import urllib.request
import uuid

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import scenario
from emulator import REGION


def wire_load_balancer(deployment, multi_value: bool) -> str:
    """A load balancer, a lambda target group with the function and a forwarding listener: its name."""
    elb = deployment.client("elbv2", "lambda_root")
    name = f"writer-{'mv' if multi_value else 'sv'}-{uuid.uuid4().hex[:8]}"
    # No subnets: the emulator does not place load balancers in a network.
    lb_arn = elb.create_load_balancer(Name=name, Type="application",
                                      Scheme="internet-facing")["LoadBalancers"][0]["LoadBalancerArn"]
    tg_arn = elb.create_target_group(Name=name, TargetType="lambda")["TargetGroups"][0]["TargetGroupArn"]
    if multi_value:
        elb.modify_target_group_attributes(
            TargetGroupArn=tg_arn, Attributes=[{"Key": "lambda.multi_value_headers.enabled", "Value": "true"}])
    function_arn = deployment.state["function"]["arn"]
    deployment.client("lambda", "lambda_root").add_permission(
        FunctionName=function_arn, StatementId=f"alb-{name}", Action="lambda:InvokeFunction",
        Principal="elasticloadbalancing.amazonaws.com", SourceArn=tg_arn)
    elb.register_targets(TargetGroupArn=tg_arn, Targets=[{"Id": function_arn}])
    elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg_arn}])
    return name


def send(deployment, name: str, method: str, body: bytes, content_type: str) -> tuple[int, bytes]:
    """One request through the load balancer. Signed only because the emulator keeps load balancers
    per account and reads the account from the signature; a real ALB's listener takes any request."""
    url = f"{deployment.state['endpoint']}/_alb/{name}/ingest?tag=a&tag=b"
    root = deployment.state["lambda_root"]
    signing = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": content_type})
    SigV4Auth(Credentials(root["access_key_id"], root["secret_access_key"]), "elasticloadbalancing",
              REGION).add_auth(signing)
    request = urllib.request.Request(url, data=body or None, method=method, headers=dict(signing.headers.items()))
    context = ssl.create_default_context(cafile=deployment.state["ca_bundle"])
    try:
        with urllib.request.urlopen(request, context=context, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("multi_value", [False, True], ids=["headers", "multi-value headers"])
def test_an_alb_request_lands_byte_exact_under_the_lambda_request_id(deployment, multi_value):
    name = wire_load_balancer(deployment, multi_value)
    body = json.dumps({"via": "alb", "multi_value": multi_value, "nonce": uuid.uuid4().hex}).encode()
    status, answer = send(deployment, name, "POST", body, "application/json")
    assert status == 201, answer[:500]
    written = json.loads(answer)
    key = written["key"]
    assert key.startswith(scenario.prefixed(deployment, "http/")), key
    request_id = key.rsplit("/", 1)[1]
    assert written["status"] == "created"
    bucket = deployment.state["bucket"]
    assert scenario.object_body(deployment, key) == body
    head = deployment.client("s3", "bucket_root").head_object(Bucket=bucket, Key=key)
    assert head["ContentType"] == "application/json"
    assert head["Metadata"]["source"] == "http"
    assert head["Metadata"]["source-id"] == request_id

    # Binary bodies arrive base64-encoded and land as sent.
    binary = bytes(range(256)) + os.urandom(16)
    status, answer = send(deployment, name, "PUT", binary, "application/octet-stream")
    assert status == 201, answer[:500]
    assert scenario.object_body(deployment, json.loads(answer)["key"]) == binary


def test_an_alb_get_is_answered_405_in_albs_shape_and_writes_nothing(deployment):
    name = wire_load_balancer(deployment, multi_value=False)
    before = scenario.bucket_keys(deployment)
    status, answer = send(deployment, name, "GET", b"", "text/plain")
    assert status == 405, answer[:500]
    assert "not allowed" in json.loads(answer)["error"]
    new = scenario.bucket_keys(deployment) - before
    assert not [key for key in new if key.startswith(scenario.prefixed(deployment, "http/"))], new
