"""The API's routes, one module and one Router each, so every Lambda function imports just its
own route and what that route calls (``from docjobs.api.routes import get_job_router`` imports
``docjobs.api.routes.get_job`` only).

template.yaml declares the same method and path on the function that includes the
router; tests/unit/test_api_contract.py checks the two agree.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Router name → the module that defines it (as ``router``).
ROUTER_MODULES = {
    "documents_router": "create_document",
    "get_document_router": "get_document",
    "delete_document_router": "delete_document",
    "submit_job_router": "submit_job",
    "list_jobs_router": "list_jobs",
    "get_job_router": "get_job",
    "cancel_job_router": "cancel_job",
    "usage_router": "usage",
}

__all__ = ["ALL_ROUTERS", *ROUTER_MODULES]


def __getattr__(name: str) -> Any:
    if name == "ALL_ROUTERS":
        return tuple(__getattr__(router) for router in ROUTER_MODULES)
    module = ROUTER_MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return importlib.import_module(f"{__name__}.{module}").router
