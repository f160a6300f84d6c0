"""moto's DynamoDB over HTTP on a random loopback port: ``python -m tests.support.moto_server``.

Prints its URL on the first line of stdout once it accepts connections, then serves
until terminated. Besides DynamoDB it answers STS, S3, CloudFormation, Lambda and
IAM (``mockidp deploy`` in tests/hosting/test_deploy.py). Requests are handled by moto one at a time (see
``tests/support/dynamodb.py``: real DynamoDB makes a condition and its write atomic;
moto does not), on a threaded server that accepts connections concurrently.
"""

from __future__ import annotations

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

import tests.support.moto_cloudformation  # noqa: F401  (AWS::Lambda::Url for template.yaml)
from tests.support.dynamodb import serialised


def main() -> None:
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        "127.0.0.1", 0, serialised(app), threaded=True, request_handler=MotoRequestHandler
    )
    print(f"http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
