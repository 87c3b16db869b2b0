# The two commands a newcomer needs:
#   make demo   the whole system against two emulated AWS accounts, in one run
#   make test   every test: unit, emulator integration, Terraform, end-to-end, and the arm64
#               zip Terraform deploys, run under qemu-user
# Everything they need is installed here: Python tools into .venv (and .venv-checkov),
# Rust crates by cargo, the aarch64 target by cargo lambda (rustup), qemu-user-static and
# libc6-arm64-cross by apt-get (scripts/install-arm64-emulation.sh, as root or with sudo).
# Only a Rust toolchain, Python 3.11+ with pip and terraform are assumed (and, for test-arm64,
# Debian/Ubuntu's apt-get or those two packages' equivalents).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON      ?= python3
VENV        := .venv
VENV_PY     := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
TARGET_DIR  := $(or $(CARGO_TARGET_DIR),target)
FUNCTION_ZIP := $(TARGET_DIR)/lambda/cross-account-s3-writer/bootstrap.zip
ARM64_ZIP   := $(TARGET_DIR)/lambda-arm64/cross-account-s3-writer/bootstrap.zip
# The arm64 zip where the README and infra/examples/two-accounts (package_path) expect it: in
# this checkout, wherever CARGO_TARGET_DIR points (build-arm64 copies it here when it differs).
DEPLOY_ZIP  := target/lambda-arm64/cross-account-s3-writer/bootstrap.zip
# Lambda's name for this machine's architecture (what build-host produces).
HOST_ARCH   := $(patsubst aarch64,arm64,$(shell uname -m))
BASELINE_ZIP := $(TARGET_DIR)/lambda/bench-baseline/bootstrap.zip
BENCH_ARGS  ?=
STATE       ?= .run/emulator
KEEP        ?=

.PHONY: help venv demo test test-rust test-infra test-e2e test-arm64 test-bench build-host build-arm64 emulator emulator-env emulator-down bench fmt lint clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: scripts/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -r scripts/requirements.txt
	touch $@

$(CHECKOV_VENV)/.installed: infra/requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-checkov.txt
	touch $@

venv: $(VENV)/.installed $(CHECKOV_VENV)/.installed ## install the Python tools (ministack, boto3, cargo-lambda, pytest, checkov)

# Each build records the architecture of the bootstrap it zipped (read from its ELF header) in
# <zip>.arch; the Terraform module refuses, at plan time, a package of another architecture.
build-host: $(VENV)/.installed ## release build for this machine, zipped as Lambda wants it (what the emulator runs)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo lambda build --release --output-format zip --lambda-dir $(TARGET_DIR)/lambda
	$(PYTHON) scripts/package_arch.py $(FUNCTION_ZIP) --expect $(HOST_ARCH)
	@ls -l $(FUNCTION_ZIP)

build-arm64: $(VENV)/.installed ## release build for AWS (arm64, what infra/ deploys) at target/lambda-arm64/
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo lambda build --release --arm64 --output-format zip --lambda-dir $(TARGET_DIR)/lambda-arm64
	$(PYTHON) scripts/package_arch.py $(ARM64_ZIP) --expect arm64 --copy-to $(DEPLOY_ZIP)
	@ls -l $(DEPLOY_ZIP) $(DEPLOY_ZIP).arch

demo: build-host ## the whole system against two emulated accounts (KEEP=1 leaves the emulator running)
	$(VENV_PY) scripts/demo.py --function-zip $(FUNCTION_ZIP) $(if $(KEEP),--keep --state $(STATE),)

emulator: $(VENV)/.installed ## start and provision the emulator; writes .run/emulator.env for `cargo lambda watch --env-file`
	mkdir -p .run
	$(VENV_PY) scripts/emulator.py up --state $(STATE) > /dev/null
	$(VENV_PY) scripts/emulator.py env --state $(STATE) --format dotenv > .run/emulator.env
	@echo "emulator up; environment in .run/emulator.env. Next:"
	@echo "  cargo lambda watch --env-file .run/emulator.env"
	@echo "  cargo lambda invoke --data-file events/sqs.json     (in another shell)"
	@echo "  make emulator-down                                  (when done)"

emulator-down: ## stop the emulator started by `make emulator`
	$(VENV_PY) scripts/emulator.py down --state $(STATE)

test: venv ## every test (what CI runs)
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-rust
	$(MAKE) --no-print-directory test-infra
	$(MAKE) --no-print-directory test-bench
	$(MAKE) --no-print-directory test-e2e
	$(MAKE) --no-print-directory test-arm64

lint: ## formatting and clippy
	cargo fmt --all -- --check
	cargo clippy --all-targets --locked -- -D warnings

test-rust: $(VENV)/.installed ## unit, sample-event and emulator integration tests
	cargo test --locked

test-infra: venv ## terraform fmt/validate/test (offline provider) and checkov
	CHECKOV=$(CHECKOV_VENV)/bin/checkov bash infra/test.sh

test-bench: $(VENV)/.installed ## the cost model `make bench` prints, against hand-computed figures
	$(VENV_PY) -m pytest benches/test_cost.py -q -p no:cacheprovider

test-e2e: build-host ## the deployed function, triggered the way AWS triggers it
	FUNCTION_ZIP=$(FUNCTION_ZIP) $(VENV_PY) -m pytest tests/e2e -q -p no:cacheprovider

test-arm64: build-arm64 ## the arm64 zip infra/ deploys, run under qemu-user against the emulator
	bash scripts/install-arm64-emulation.sh
	ARM64_ZIP=$(DEPLOY_ZIP) $(VENV_PY) -m pytest tests/arm64 -q -p no:cacheprovider

bench: build-host ## the release build beside an LTO-built baseline writer, and the cost per million events beside Firehose (benches/)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" CARGO_TARGET_DIR="$(abspath $(TARGET_DIR))" cargo lambda build --release \
		--locked --output-format zip --manifest-path benches/baseline/Cargo.toml --lambda-dir $(TARGET_DIR)/lambda
	$(VENV_PY) benches/run.py --function $(FUNCTION_ZIP) --baseline $(BASELINE_ZIP) $(BENCH_ARGS)

fmt: ## format Rust and Terraform
	cargo fmt --all
	terraform fmt -recursive infra

clean: ## remove build output, venvs and emulator state
	rm -rf $(VENV) $(CHECKOV_VENV) .run target/lambda-arm64
	cargo clean
