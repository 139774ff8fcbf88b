"""A real S3-compatible server for tests: moto's server on loopback (``moto[server]``).

It runs in the test process (``ThreadedMotoServer``) on a free port; the CLI under test reaches
it over HTTP like any S3-compatible store. One bucket and one IAM user with an access key are
created, then moto's request authentication is switched on, so a request signed with another
secret is refused (403) as a real store would refuse it.
"""

from __future__ import annotations

import json
import logging
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
_BOOTSTRAP = {"aws_access_key_id": "bootstrap", "aws_secret_access_key": "bootstrap"}
_ALLOW_S3 = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # http://127.0.0.1:<port>
    bucket: str
    key_id: str
    secret: str = ""

    def env(self, prefix: str) -> dict[str, str]:
        """The variables a DuckLake on ``s3://<bucket>/<prefix>`` reads."""
        return {"KPI_LAKE_DATA_PATH": f"s3://{self.bucket}/{prefix}",
                "KPI_LAKE_S3_ENDPOINT": self.endpoint, "AWS_REGION": REGION,
                "AWS_ACCESS_KEY_ID": self.key_id, "AWS_SECRET_ACCESS_KEY": self.secret}

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id=self.key_id, aws_secret_access_key=self.secret)

    def keys(self, prefix: str = "") -> list[str]:
        """Every object key under ``prefix`` in the bucket."""
        pages = self.client().get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix)
        return [obj["Key"] for page in pages for obj in page.get("Contents", [])]


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _moto_api(endpoint: str, action: str, body: bytes = b"") -> None:
    request = urllib.request.Request(f"{endpoint}/moto-api/{action}", data=body, method="POST",
                                     headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


@contextmanager
def running_s3(bucket: str = "kpi-lake") -> Iterator[S3Server]:
    """Moto's S3 server on 127.0.0.1 with ``bucket`` and a user allowed s3:*; stopped after."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request in test output
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        boot = {"endpoint_url": endpoint, "region_name": REGION, **_BOOTSTRAP}
        boto3.client("s3", **boot).create_bucket(Bucket=bucket)
        iam = boto3.client("iam", **boot)
        iam.create_user(UserName="kpi")
        iam.put_user_policy(UserName="kpi", PolicyName="lake", PolicyDocument=json.dumps(_ALLOW_S3))
        key = iam.create_access_key(UserName="kpi")["AccessKey"]
        _moto_api(endpoint, "reset-auth", b"0")  # signatures are checked from now on
        try:
            yield S3Server(endpoint, bucket, key["AccessKeyId"], key["SecretAccessKey"])
        finally:
            # moto keeps its state in this process: leave it as found (no auth, no data)
            _moto_api(endpoint, "reset-auth", b"inf")
            _moto_api(endpoint, "reset")
    finally:
        server.stop()
