# eliza-lambda: build, test and package targets.
#
# Every path is taken from the directory of this Makefile, so `make -f /path/to/Makefile TARGET` works
# from any directory. That matters for `sam build`, which runs `make --makefile <repo>/Makefile
# build-ElizaFunction` with ARTIFACTS_DIR set; run `sam build` from the repository root (samconfig.toml
# turns on build_in_source, so SAM does not copy the tree, .build included, to a scratch directory).

ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

SWIFT ?= swift
STRIP ?= strip
PYTHON ?= python3

HOST_ARCH := $(shell uname -m | sed -e 's/aarch64/arm64/')
# Lambda's name for the instruction set: x86_64 or arm64 (deploy.sh passes --architecture through).
LAMBDA_ARCH ?= $(HOST_ARCH)
ifeq ($(LAMBDA_ARCH),arm64)
  LAMBDA_TRIPLE_ARCH := aarch64
  LAMBDA_ELF_MACHINE := AArch64
else
  LAMBDA_TRIPLE_ARCH := x86_64
  LAMBDA_ELF_MACHINE := X86-64
endif

# On a Linux host of the same architecture, link statically against glibc (runs on Amazon Linux
# 2023's glibc 2.34). Otherwise (cross-architecture, macOS) use the Swift Static Linux SDK, which must
# be installed first (see docs/deploy.md, "Building on macOS or for arm64"); SWIFT_SDK= on the command line overrides either.
ifeq ($(shell uname -s)-$(LAMBDA_ARCH),Linux-$(HOST_ARCH))
  SWIFT_SDK ?=
else
  SWIFT_SDK ?= $(LAMBDA_TRIPLE_ARCH)-swift-linux-musl
endif
ifeq ($(SWIFT_SDK),)
  LAMBDA_SWIFT_FLAGS := -Xswiftc -static-executable
else
  LAMBDA_SWIFT_FLAGS := --swift-sdk $(SWIFT_SDK)
endif

LAMBDA_SCRATCH := $(ROOT)/.build/lambda-build
LAMBDA_DIR := $(ROOT)/.build/lambda
LAMBDA_BUILD := $(SWIFT) build --package-path $(ROOT) -c release --product eliza-lambda \
	--scratch-path $(LAMBDA_SCRATCH) $(LAMBDA_SWIFT_FLAGS)

.PHONY: build test lambda elizac-static build-ElizaFunction deploy bench smoke-aws clean wheel

build:
	$(SWIFT) build --package-path $(ROOT)

test:
	cd $(ROOT) && ./Tools/test.sh

# .build/lambda/bootstrap (static, stripped, mode 755) and .build/lambda/bootstrap.zip (bootstrap at
# the zip root), ready for provided.al2023.
lambda:
	$(LAMBDA_BUILD)
	mkdir -p $(LAMBDA_DIR)
	rm -f $(LAMBDA_DIR)/bootstrap $(LAMBDA_DIR)/bootstrap.zip
	cp "$$($(LAMBDA_BUILD) --show-bin-path)/eliza-lambda" $(LAMBDA_DIR)/bootstrap
	$(STRIP) $(LAMBDA_DIR)/bootstrap
	chmod 755 $(LAMBDA_DIR)/bootstrap
	@if command -v readelf >/dev/null 2>&1; then \
	  if ! readelf -h $(LAMBDA_DIR)/bootstrap | grep -q 'Machine:.*$(LAMBDA_ELF_MACHINE)'; then \
	    echo "error: bootstrap is not a $(LAMBDA_ARCH) binary" >&2; exit 1; fi; \
	  if readelf -d $(LAMBDA_DIR)/bootstrap | grep -q NEEDED; then \
	    echo "error: bootstrap is dynamically linked; provided.al2023 needs a static binary" >&2; \
	    readelf -d $(LAMBDA_DIR)/bootstrap | grep NEEDED >&2; exit 1; fi; \
	fi
	@if command -v zip >/dev/null 2>&1; then \
	  echo "zip -X -j $(LAMBDA_DIR)/bootstrap.zip $(LAMBDA_DIR)/bootstrap"; \
	  zip -q -X -j $(LAMBDA_DIR)/bootstrap.zip $(LAMBDA_DIR)/bootstrap; \
	else \
	  echo "zip not found; using Tools/zip_bootstrap.py"; \
	  $(PYTHON) $(ROOT)/Tools/zip_bootstrap.py $(LAMBDA_DIR)/bootstrap $(LAMBDA_DIR)/bootstrap.zip; \
	fi
	@ls -l $(LAMBDA_DIR)/bootstrap $(LAMBDA_DIR)/bootstrap.zip

# .build/lambda/elizac: the script authors' tool, built like the bootstrap (static, stripped), for the
# wheel: `pip install` gives `elizac check` and `elizac chat --trace` without Swift.
ELIZAC_BUILD := $(SWIFT) build --package-path $(ROOT) -c release --product elizac \
	--scratch-path $(LAMBDA_SCRATCH) $(LAMBDA_SWIFT_FLAGS)

elizac-static:
	$(ELIZAC_BUILD)
	mkdir -p $(LAMBDA_DIR)
	rm -f $(LAMBDA_DIR)/elizac
	cp "$$($(ELIZAC_BUILD) --show-bin-path)/elizac" $(LAMBDA_DIR)/elizac
	$(STRIP) $(LAMBDA_DIR)/elizac
	chmod 755 $(LAMBDA_DIR)/elizac
	@if command -v readelf >/dev/null 2>&1 && readelf -d $(LAMBDA_DIR)/elizac | grep -q NEEDED; then \
	  echo "error: elizac is dynamically linked" >&2; exit 1; fi
	@ls -l $(LAMBDA_DIR)/elizac

# .build/wheel/eliza_lambda-<version>-py3-none-<platform tags>.whl: the bootstrap and elizac above inside
# the Python package Python/eliza_lambda (Tools/build_wheel.py, standard library only, deterministic).
WHEEL_DIR := $(ROOT)/.build/wheel

wheel: lambda elizac-static
	rm -f $(WHEEL_DIR)/*.whl
	$(PYTHON) $(ROOT)/Tools/build_wheel.py --binary $(LAMBDA_DIR)/bootstrap --elizac $(LAMBDA_DIR)/elizac --out $(WHEEL_DIR)

# Entry point of `sam build` (Metadata: BuildMethod: makefile in template.yaml). With
# ELIZA_DEPLOY_SCRIPTS naming a folder of *.eliza files (deploy.sh --script), they are checked with
# elizac and shipped in scripts/ next to bootstrap, where the function reads them (ELIZA_SCRIPTS):
# no Swift rebuild of the binary.
ELIZA_DEPLOY_SCRIPTS ?=

build-ElizaFunction:
	@test -n "$(ARTIFACTS_DIR)" || { echo "error: ARTIFACTS_DIR is not set (run through sam build)" >&2; exit 1; }
	$(MAKE) -f $(ROOT)/Makefile lambda
	mkdir -p "$(ARTIFACTS_DIR)"
	cp -p $(LAMBDA_DIR)/bootstrap "$(ARTIFACTS_DIR)/bootstrap"
	rm -rf "$(ARTIFACTS_DIR)/scripts"
	@if [ -n "$(ELIZA_DEPLOY_SCRIPTS)" ]; then \
	  set -e; $(MAKE) -f $(ROOT)/Makefile elizac-static; \
	  echo "$(LAMBDA_DIR)/elizac check $(ELIZA_DEPLOY_SCRIPTS)/*.eliza"; \
	  $(LAMBDA_DIR)/elizac check "$(ELIZA_DEPLOY_SCRIPTS)"/*.eliza; \
	  mkdir -p "$(ARTIFACTS_DIR)/scripts"; \
	  cp -p "$(ELIZA_DEPLOY_SCRIPTS)"/*.eliza "$(ARTIFACTS_DIR)/scripts/"; \
	  ls -l "$(ARTIFACTS_DIR)/scripts"; \
	fi

# Extra options: make deploy DEPLOY_ARGS="--allowed-cidrs 203.0.113.0/24 --region eu-west-1"
# (closed by default: without a key or allow-list a new stack gets a generated key). A key of your
# own goes in the environment, ELIZA_API_KEY=... make deploy, not on make's command line.
DEPLOY_ARGS ?=
SMOKE_ARGS ?=

deploy:
	cd $(ROOT) && ./deploy.sh $(DEPLOY_ARGS)

bench:
	$(SWIFT) run --package-path $(ROOT) -c release eliza-bench

smoke-aws:
	cd $(ROOT) && ./Tools/smoke-aws.sh $(SMOKE_ARGS)

clean:
	$(SWIFT) package --package-path $(ROOT) clean
	rm -rf $(LAMBDA_SCRATCH) $(LAMBDA_DIR) $(ROOT)/.aws-sam
