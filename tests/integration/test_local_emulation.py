"""docjobs_local in process: the template is the contract (fixture template + the real one)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from moto import mock_aws

from docjobs_local.emulator import MOTO_CONFIG, EmulatedStack, LambdaFunctionError
from docjobs_local.template import ResolvedTemplate, TemplateError

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).parent / "fixtures" / "template.yaml"
REAL = ROOT / "template.yaml"
ALLOW = {"Authorization": "Bearer allow-me"}


@pytest.fixture
def aws_env(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def stack(aws_env):
    with mock_aws(config=MOTO_CONFIG):
        st = EmulatedStack(FIXTURE).deploy()
        yield st
        st.close()


# ------------------------------------------------------------------ template resolution


def test_resolver_names_refs_subs_and_conditions():
    tpl = ResolvedTemplate.from_file(FIXTURE)
    assert tpl.physical_name("ItemsTable") == "docjobs-local-ItemsTable"
    assert tpl.physical_name("FilesBucket") == "docjobs-local-filesbucket-local"
    props = tpl.function_properties("EchoFunction")
    env = props["Environment"]["Variables"]
    assert env == {
        "ITEMS_TABLE_NAME": "docjobs-local-ItemsTable",
        "FIXTURE_BUCKET_NAME": "docjobs-local-filesbucket-local",
        "GREETING": "hello-docjobs-local",
    }
    assert props["Timeout"] == 10  # from Globals
    other = ResolvedTemplate.from_file(FIXTURE, parameter_overrides={"Greeting": "hi"}, stack_name="s")
    assert other.function_properties("EchoFunction")["Environment"]["Variables"]["GREETING"] == "other"
    assert (
        other.ref("FlowStateMachine")
        == "arn:aws:states:us-east-1:123456789012:stateMachine:s-FlowStateMachine"
    )
    with pytest.raises(TemplateError):
        ResolvedTemplate.from_file(FIXTURE, parameter_overrides={"Nope": "x"})


@pytest.mark.skipif(not REAL.is_file(), reason="template.yaml not written yet")
def test_real_template_deploys(aws_env):
    with mock_aws(config=MOTO_CONFIG):
        st = EmulatedStack(REAL).deploy()
        try:
            ddb = st.client("dynamodb")
            for logical, res in st.template.resources_of_type("AWS::DynamoDB::Table").items():
                table = ddb.describe_table(TableName=st.physical_name(logical))["Table"]
                assert table["KeySchema"] == res["Properties"]["KeySchema"]
                declared = {g["IndexName"] for g in res["Properties"].get("GlobalSecondaryIndexes", [])}
                assert {g["IndexName"] for g in table.get("GlobalSecondaryIndexes", [])} == declared
            assert st.gateway is not None and st.gateway.routes
            assert os.environ["JOBS_TABLE_NAME"] == st.physical_name("JobsTable")
        finally:
            st.close()


# ------------------------------------------------------------------ resources


def test_tables_built_with_the_template_keys_gsis_and_ttl(stack):
    ddb = stack.client("dynamodb")
    name = stack.physical_name("ItemsTable")
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert [g["IndexName"] for g in table["GlobalSecondaryIndexes"]] == ["ByKind"]
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"
    assert os.environ["ITEMS_TABLE_NAME"] == name


def test_conflicting_environment_values_are_an_error(tmp_path, aws_env):
    text = FIXTURE.read_text().replace(
        "      Handler: app.crash\n",
        "      Handler: app.crash\n      Environment:\n        Variables:\n          GREETING: different\n",
    )
    (tmp_path / "template.yaml").write_text(text)
    for sub in ("functions", "statemachines"):
        (tmp_path / sub).symlink_to(FIXTURE.parent / sub)
    with mock_aws(config=MOTO_CONFIG):
        with pytest.raises(TemplateError, match="GREETING"):
            EmulatedStack(tmp_path / "template.yaml").deploy()


def test_invoke_runs_the_real_handler(stack):
    assert stack.invoke("StepFunction", {"a": 1}) == {"ok": True, "input": {"a": 1}}
    with pytest.raises(LambdaFunctionError) as err:
        stack.invoke("StepFunction", {"fail": "boom"})
    assert err.value.error_type == "BoomError"
    assert err.value.error_message == "the document exploded"


# ------------------------------------------------------------------ API Gateway


def test_route_resolves_and_proxy_event_has_the_rest_v1_shape(stack):
    status, _headers, body = stack.api_request(
        "GET", "/api/items/42", headers={**ALLOW, "X-Multi": "a"}, query="a=1&a=2&b=x"
    )
    assert status == 200
    event = json.loads(body)["event"]
    assert event["resource"] == "/api/items/{id}"
    assert event["path"] == "/api/items/42"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"a": "2", "b": "x"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x"]}
    assert event["headers"]["X-Multi"] == "a"
    assert event["multiValueHeaders"]["X-Multi"] == ["a"]
    assert event["body"] is None and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["resourcePath"] == "/api/items/{id}"
    assert ctx["httpMethod"] == "GET"
    assert ctx["stage"] == "Prod"
    assert ctx["requestId"] and ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert ctx["authorizer"]["principalId"] == "tenant-a"
    assert ctx["authorizer"]["tenant_id"] == "tenant-a"
    assert ctx["authorizer"]["admin"] == "false"
    assert json.loads(body)["remaining_ms"] > 9000


def test_static_route_and_no_authorizer_route(stack):
    status, _, body = stack.api_request("GET", "/api/items", headers=ALLOW)
    assert status == 200 and json.loads(body)["event"]["pathParameters"] is None
    status, _, body = stack.api_request("GET", "/api/public")
    assert status == 200
    assert "authorizer" not in json.loads(body)["event"]["requestContext"]


def test_authorizer_denial_answers_the_templates_401_body(stack):
    expected = {"error": "missing or invalid API key", "error_code": "UNAUTHORIZED"}
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        status, _, body = stack.api_request("GET", "/api/items/1", headers=headers)
        assert status == 401
        assert json.loads(body) == expected
    status, _, body = stack.api_request("GET", "/api/items/1", headers={"Authorization": "Bearer deny-me"})
    assert status == 403  # ACCESS_DENIED is not declared in the fixture: API Gateway's default


def test_authorizer_result_is_cached_by_token(stack, monkeypatch):
    calls = []
    spec = stack.functions["AuthorizerFunction"]
    original = stack.runtime.invoke

    def counting(s, event):
        if s is spec:
            calls.append(event)
        return original(s, event)

    monkeypatch.setattr(stack.runtime, "invoke", counting)
    for _ in range(3):
        assert stack.api_request("GET", "/api/items/1", headers=ALLOW)[0] == 200
    assert len(calls) == 1
    assert calls[0]["type"] == "TOKEN" and calls[0]["authorizationToken"] == "Bearer allow-me"
    assert calls[0]["methodArn"].endswith("/Prod/GET/api/items/1")


def test_unknown_route_and_wrong_method_use_the_templates_response(stack):
    for method, path in (("GET", "/api/nothing"), ("DELETE", "/api/items/1")):
        status, _, body = stack.api_request(method, path, headers=ALLOW)
        assert status == 404
        assert json.loads(body) == {"error": "no such route", "error_code": "NOT_FOUND"}


def test_handler_crash_is_default_5xx_without_a_stack_trace(stack):
    status, _headers, body = stack.api_request("POST", "/api/crash", headers=ALLOW, body={"x": 1})
    assert status == 502
    assert json.loads(body) == {"error": "internal error", "error_code": "INTERNAL_ERROR"}
    assert b"secret stack detail" not in body and b"Traceback" not in body


# ------------------------------------------------------------------ Step Functions, EventBridge, S3


def test_raising_handler_error_type_reaches_the_asl_catch(stack):
    arn = stack.start_execution("FlowStateMachine", {"id": "j1", "fail": "boom"})
    desc = stack.wait_for_execution(arn, timeout=30)
    assert desc["status"] == "FAILED"
    ddb = stack.client("dynamodb")
    item = ddb.get_item(
        TableName=stack.physical_name("ItemsTable"), Key={"pk": {"S": "failure"}, "sk": {"S": "j1"}}
    )
    assert item["Item"]["error"]["S"] == "BoomError"
    history = stack.execution_history(arn)
    failed = [e for e in history if e["type"] == "TaskFailed"]  # the lambda:invoke integration
    assert failed and failed[0]["taskFailedEventDetails"]["error"] == "BoomError"


def test_retry_matches_the_error_class_then_succeeds(stack):
    arn = stack.start_execution("FlowStateMachine", {"id": "j2", "fail": "flaky"})
    assert stack.wait_for_execution(arn, timeout=30)["status"] == "SUCCEEDED"


def test_execution_status_change_event_reaches_the_tracker(stack):
    arns = [stack.start_execution("FlowStateMachine", {"id": f"t{i}"}) for i in range(2)]
    ddb = stack.client("dynamodb")
    for arn in arns:
        stack.wait_for_execution(arn, timeout=30)
        item = ddb.get_item(
            TableName=stack.physical_name("ItemsTable"), Key={"pk": {"S": "tracked"}, "sk": {"S": arn}}
        )["Item"]
        assert item["status"]["S"] == "SUCCEEDED"
        assert item["source"]["S"] == "aws.states"
        assert item["time"]["S"].endswith("Z")


def test_s3_object_created_goes_through_eventbridge_to_the_trigger(stack):
    s3 = stack.client("s3")
    bucket = stack.physical_name("FilesBucket")
    s3.put_object(Bucket=bucket, Key="uploads/t1/a.pdf", Body=b"%PDF")
    s3.put_object(Bucket=bucket, Key="documents/t1/b.pdf", Body=b"%PDF")  # no rule matches
    stack.wait_idle()
    ddb = stack.client("dynamodb")
    items = ddb.query(
        TableName=stack.physical_name("ItemsTable"),
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "upload"}},
    )["Items"]
    assert [i["sk"]["S"] for i in items] == ["uploads/t1/a.pdf"]
    assert items[0]["bucket"]["S"] == bucket


def test_failed_transaction_rolls_back_every_write_with_the_lightweight_backup(stack):
    """moto_patch's transaction snapshot (patch 7) must roll back like moto's full deep copy:
    a Put of a new item, and an in-place Update of an existing one, both undone."""
    ddb = stack.client("dynamodb")
    name = stack.physical_name("ItemsTable")
    ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": "kept"}, "n": {"N": "1"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"S": "guard"}, "state": {"S": "done"}})

    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": name, "Item": {"pk": {"S": "p"}, "sk": {"S": "new"}}}},
                {
                    "Update": {
                        "TableName": name,
                        "Key": {"pk": {"S": "p"}, "sk": {"S": "kept"}},
                        "UpdateExpression": "SET n = :two",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": name,
                        "Key": {"pk": {"S": "p"}, "sk": {"S": "guard"}},
                        "ConditionExpression": "#s = :open",
                        "ExpressionAttributeNames": {"#s": "state"},
                        "ExpressionAttributeValues": {":open": {"S": "open"}},
                    }
                },
            ]
        )

    keys = {i["sk"]["S"] for i in ddb.scan(TableName=name)["Items"]}
    assert keys == {"kept", "guard"}
    kept = ddb.get_item(TableName=name, Key={"pk": {"S": "p"}, "sk": {"S": "kept"}})["Item"]
    assert kept["n"] == {"N": "1"}


def test_execution_stopped_during_a_lambda_task_ends_aborted_not_failed(stack):
    """A stop landing while a Lambda task runs, the task then failing: AWS reports ABORTED.
    moto's interpreter let the task's error replace the stop (FAILED; with a stop before the
    task's resource was evaluated, the error was "'dict' object has no attribute 'region'")."""
    import time

    arn = stack.start_execution("DirectFlowStateMachine", {"id": "s1", "sleep": 1.5, "fail": "boom"})
    time.sleep(0.5)
    stack.client("stepfunctions").stop_execution(executionArn=arn, error="JobCancelled", cause="test")
    time.sleep(1.5)  # the task returns after the stop
    desc = stack.wait_for_execution(arn, timeout=30)
    assert desc["status"] == "ABORTED"
    history = stack.execution_history(arn)
    assert not [e for e in history if e["type"] in ("TaskFailed", "LambdaFunctionFailed", "ExecutionFailed")]
    ddb = stack.client("dynamodb")
    item = ddb.get_item(
        TableName=stack.physical_name("ItemsTable"), Key={"pk": {"S": "failure"}, "sk": {"S": "s1"}}
    )
    assert "Item" not in item  # the Catch (RecordFailure) never ran


def test_concurrent_transactions_and_rollbacks_keep_counts_exact(stack):
    """Threads each insert items with a counter update in one transaction; every third
    transaction fails its condition and rolls back. moto without the lock lost writes (a
    rollback restored a snapshot older than another thread's transaction)."""
    from concurrent.futures import ThreadPoolExecutor

    import boto3

    name = stack.physical_name("ItemsTable")
    ddb = stack.client("dynamodb")
    ddb.put_item(TableName=name, Item={"pk": {"S": "c"}, "sk": {"S": "guard"}, "state": {"S": "done"}})

    def work(worker: int) -> int:
        client = boto3.client("dynamodb", region_name="us-east-1")
        committed = 0
        for i in range(25):
            items = [
                {"Put": {"TableName": name, "Item": {"pk": {"S": "c"}, "sk": {"S": f"i-{worker}-{i}"}}}},
                {
                    "Update": {
                        "TableName": name,
                        "Key": {"pk": {"S": "c"}, "sk": {"S": "count"}},
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
            if i % 3 == 0:
                items.append(
                    {
                        "ConditionCheck": {
                            "TableName": name,
                            "Key": {"pk": {"S": "c"}, "sk": {"S": "guard"}},
                            "ConditionExpression": "#s = :open",
                            "ExpressionAttributeNames": {"#s": "state"},
                            "ExpressionAttributeValues": {":open": {"S": "open"}},
                        }
                    }
                )
            try:
                client.transact_write_items(TransactItems=items)
                committed += 1
            except client.exceptions.TransactionCanceledException:
                pass
        return committed

    with ThreadPoolExecutor(max_workers=8) as pool:
        committed = sum(pool.map(work, range(8)))

    items = ddb.query(
        TableName=name,
        KeyConditionExpression="pk = :p AND begins_with(sk, :i)",
        ExpressionAttributeValues={":p": {"S": "c"}, ":i": {"S": "i-"}},
    )["Items"]
    count = ddb.get_item(TableName=name, Key={"pk": {"S": "c"}, "sk": {"S": "count"}})["Item"]["n"]["N"]
    assert committed == 8 * 16
    assert len(items) == committed
    assert int(count) == committed


def test_stop_right_after_start_answers_at_once_and_aborts_before_the_first_state(stack):
    import time

    sfn = stack.client("stepfunctions")
    for i in range(5):
        arn = stack.start_execution("DirectFlowStateMachine", {"id": f"quick{i}", "sleep": 1})
        started = time.monotonic()
        sfn.stop_execution(executionArn=arn, error="JobCancelled", cause="test")
        assert time.monotonic() - started < 1.0
        assert stack.wait_for_execution(arn, timeout=30)["status"] == "ABORTED"
