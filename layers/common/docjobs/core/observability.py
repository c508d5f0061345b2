"""The one place where Logger and Metrics are configured (service name from POWERTOOLS_SERVICE_NAME)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics(namespace="docjobs")


def emit_metric(name: str, value: float = 1, unit: str = "Count", **dimensions: str) -> None:
    """One CloudWatch metric now (an EMF line on stdout: no API call, no flush decorator needed).

    The namespace is POWERTOOLS_METRICS_NAMESPACE; dimensions are kept few and low-cardinality
    (job type, stage, error code): never a tenant or job id.
    """
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=name, unit=MetricUnit(unit), value=value) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=str(dimension))
