# Shared by the layers SAM builds with `BuildMethod: makefile` (no Docker): each layer directory's
# Makefile includes this file, and `sam build` runs `make build-<LayerLogicalId>` there.
# Installs the layer's requirements.txt as arm64 (manylinux aarch64) wheels for Python 3.12,
# resolved with the common layer's pins as constraints, then removes what a function already has:
# boto3, botocore and s3transfer (the Lambda Python runtime ships them; see docs/decisions.md,
# "Pipeline layer without boto3") and the packages the common layer ships (SHIPPED), so no
# function carries two copies. Then compiles the rest to bytecode (docs/decisions.md, "Layers
# ship bytecode": Lambda's /opt is read-only, so sources are compiled at every cold start).
PYTHON ?= python3.12
PLATFORMS ?= --platform manylinux_2_28_aarch64 --platform manylinux2014_aarch64
LAYER_DIR := $(dir $(abspath $(firstword $(MAKEFILE_LIST))))
COMMON := $(LAYER_DIR)../common/requirements.txt
SHIPPED := boto3 botocore s3transfer jmespath \
  pydantic pydantic_core pydantic_settings typing_extensions typing_inspection annotated_types \
  jinja2 markupsafe regex dotenv python_dotenv

build-%:
	$(PYTHON) -m pip install --quiet --disable-pip-version-check \
	  $(PLATFORMS) --implementation cp --python-version 3.12 --only-binary=:all: \
	  --target "$(ARTIFACTS_DIR)/python" -r "$(LAYER_DIR)requirements.txt" -c "$(COMMON)"
	cd "$(ARTIFACTS_DIR)/python" && rm -rf bin $(foreach p,$(SHIPPED),$(p) $(p).py $(p)-*.dist-info)
	find "$(ARTIFACTS_DIR)/python" -name __pycache__ -type d -prune -exec rm -rf {} +
	$(PYTHON) -m compileall -q -j 0 --invalidation-mode checked-hash "$(ARTIFACTS_DIR)/python"
