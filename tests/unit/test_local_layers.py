"""The local runtime holds a running function's imports to what its layers ship."""

from __future__ import annotations

import pytest

from docjobs_local import layers

COMMON = {"docjobs", "aws_lambda_powertools", "pydantic", "pydantic_core", "pydantic_settings", "uuid6"}
COMMON_ONLY = layers.FunctionImports(
    "ListJobsFunction", ("CommonLayer",), layers.runtime_modules() | COMMON | {"regex"}
)
WITHOUT_REGEX = layers.FunctionImports("Broken", ("CommonLayer",), layers.runtime_modules() | COMMON)


@pytest.fixture(autouse=True)
def _installed() -> None:
    layers.install()


def _import_as_shared_code(statement: str) -> None:
    exec(statement, {"__name__": "docjobs.some_module"})


def test_shared_code_may_not_import_a_package_the_function_lacks() -> None:
    with (
        layers.running(COMMON_ONLY),
        pytest.raises(layers.LayerImportError, match="ListJobsFunction imports 'pymupdf'"),
    ):
        _import_as_shared_code("import pymupdf")


def test_the_standard_library_and_the_layers_packages_import() -> None:
    with layers.running(COMMON_ONLY):
        _import_as_shared_code("import json, sqlite3\nimport pydantic")


def test_nothing_is_checked_outside_a_function_or_for_third_party_importers() -> None:
    _import_as_shared_code("import pymupdf")
    with layers.running(COMMON_ONLY):
        exec("import pymupdf", {"__name__": "moto.something"})


def test_a_shared_module_already_loaded_still_needs_its_packages() -> None:
    """Another function may have loaded the registry; loading it here would import `regex`."""
    _import_as_shared_code("from docjobs.jobtypes import registry")
    with layers.running(WITHOUT_REGEX), pytest.raises(layers.LayerImportError, match="'regex'"):
        _import_as_shared_code("from docjobs.jobtypes import registry")


def test_tesseract_data_is_found_only_by_a_function_with_the_tessdata_layer() -> None:
    """Locally Debian's language data is on the machine; on AWS only TessdataLayer ships it."""
    from docjobs.core.errors import OcrError
    from docjobs.engines import ocr

    modules = layers.runtime_modules() | COMMON | {"regex", "pymupdf"}
    without = layers.FunctionImports("ExtractStageFunction", ("CommonLayer", "PdfLayer"), modules)
    with_layer = layers.FunctionImports(
        "OcrStageFunction", ("CommonLayer", "PdfLayer", "TessdataLayer"), modules, frozenset({"tessdata"})
    )
    if ocr.find_tessdata() is None:
        pytest.skip("no Tesseract language data on this machine")
    with layers.running(with_layer):
        assert ocr.get_ocr_engine("tesseract").name == "tesseract"
    with layers.running(without):
        assert ocr.find_tessdata() is None
        with pytest.raises(OcrError, match="language data"):
            ocr.get_ocr_engine("tesseract")
