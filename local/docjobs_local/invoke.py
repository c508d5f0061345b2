"""Docker-free ``sam local invoke``: ``python -m docjobs_local.invoke <LogicalId> <event.json>``.

Deploys template.yaml into an in-process moto (``mock_aws``), invokes the function with the
event (a file, or ``-`` for stdin) through the Lambda Invoke API, and prints the JSON
response. A function error prints the error payload and exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .server import _pairs, find_template, local_parameters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Invoke one function of template.yaml locally (moto, in process)."
    )
    parser.add_argument("function", help="logical id, e.g. GetJobFunction")
    parser.add_argument("event", help="event JSON file, or - for stdin")
    parser.add_argument("--template", type=Path, default=None)
    parser.add_argument("--parameter-overrides", nargs="*", help="template parameters, Name=Value")
    parser.add_argument("--env", action="append", help="environment override, NAME=VALUE")
    args = parser.parse_args(argv)

    text = sys.stdin.read() if args.event == "-" else Path(args.event).read_text(encoding="utf-8")
    event = json.loads(text)
    os.environ.pop("AWS_ENDPOINT_URL", None)  # everything stays inside mock_aws
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

    from moto import mock_aws

    from .emulator import MOTO_CONFIG, EmulatedStack, LambdaFunctionError

    with mock_aws(config=MOTO_CONFIG):  # type: ignore[arg-type]
        stack = EmulatedStack(
            args.template or find_template(),
            parameters=local_parameters(_pairs(args.parameter_overrides, "--parameter-overrides")),
            env_overrides=_pairs(args.env, "--env"),
        ).deploy()
        try:
            if args.function not in stack.functions:
                parser.error(
                    f"no function {args.function!r}; functions: {', '.join(sorted(stack.functions))}"
                )
            try:
                result = stack.invoke(args.function, event)
            except LambdaFunctionError as err:
                print(json.dumps(err.payload, indent=2))
                return 1
            print(json.dumps(result, indent=2))
            return 0
        finally:
            stack.close()


if __name__ == "__main__":
    sys.exit(main())
