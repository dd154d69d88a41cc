# OpenDash developer commands. `make setup` once, then `make test`.
GO      ?= go
BIN     ?= bin
PYTHON  ?= python3
# tools/sdkgen is its own Go module (Pulumi's code generators stay out of the library's dependencies).
SDKGEN  ?= tools/sdkgen
# tools/workflowlint is its own Go module too: actionlint checks the workflow `open-dash init github-actions` writes.
WORKFLOWLINT ?= tools/workflowlint
# The one version (package version): `git describe` of a vX.Y.Z tag; nothing stamped without one (0.1.0-dev).
VERSION ?= $(shell git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null)
LDFLAGS := -X github.com/opendash/opendash/version.Stamped=$(VERSION)

.PHONY: setup test test-sdks test-workflow test-integration bench bench-server bench-sync bench-image build install clean

## setup: download Go modules and check the Python modules the artifact tests use
setup:
	$(GO) mod download
	cd $(SDKGEN) && $(GO) mod download
	cd $(WORKFLOWLINT) && $(GO) mod download
	$(PYTHON) -c "import flask, werkzeug, boto3, botocore, moto" || \
	  (echo "artifact tests need Flask, Werkzeug, boto3, botocore and moto in $(PYTHON)"; exit 1)

## test: every test that needs no Dash, Docker or AWS (integration tests skip with a reason, shown with -v),
##       then test-workflow and test-sdks; a last line counts what skipped: the real-Dash tests (without OPENDASH_TEST_PYTHON)
##       and the Python SDK import check (without pulumi and pulumi_aws in that Python). The timeout is for
##       internal/release's test, which builds the plugin as a release does (-trimpath, no cgo: from scratch once).
test:
	$(GO) vet ./...
	$(GO) test -timeout 30m ./...
	$(MAKE) --no-print-directory test-workflow
	$(MAKE) --no-print-directory test-sdks
	@n=0; if [ -z "$(OPENDASH_TEST_PYTHON)" ]; then \
	  n=$$($(GO) test -run 'Integration|Browser' -v ./... 2>&1 | grep -c -- '--- SKIP'); \
	fi; \
	m=$$(cd $(SDKGEN) && $(GO) test -run 'TestPythonSDK/import' -v ./... 2>&1 | grep -c -- '--- SKIP'); \
	echo "test: skipped $$n real-Dash tests (TestIntegration*, TestBrowser*: set OPENDASH_TEST_PYTHON, make test-integration)" \
	  "and $$m Python SDK import check (needs pulumi and pulumi_aws in OPENDASH_TEST_PYTHON, else python3)"

## test-workflow: actionlint on the GitHub Actions workflow of `open-dash init github-actions` (tools/workflowlint)
test-workflow:
	cd $(WORKFLOWLINT) && $(GO) vet ./... && $(GO) test ./...

## test-sdks: tools/sdkgen's tests: generate both SDKs, check the Python one against schema.json, and
##            type-check examples/typescript with tsc (npm installs @pulumi/pulumi and @pulumi/aws once into
##            the user cache; skipped without node/npm/registry unless OPENDASH_REQUIRE_SDK_CHECK=1)
test-sdks:
	cd $(SDKGEN) && $(GO) vet ./... && $(GO) test ./...

## test-integration: bundle the examples with a real Dash: OPENDASH_TEST_PYTHON=/path/to/python make test-integration
test-integration:
	@test -n "$(OPENDASH_TEST_PYTHON)" || (echo "set OPENDASH_TEST_PYTHON to a Python that can import dash"; exit 2)
	$(GO) test -count=1 -run 'Integration|Browser|QuickStart' -v ./...

## bench: issue 7's targets on examples/single-page, medians of 15 runs: OPENDASH_TEST_PYTHON=/path/to/python make bench
##        first/floor (first bundle over bare Python; <= 1.15), rebundle-s (nothing changed; <= 0.3),
##        static/requestable (static bytes over what Dash serves; <= 1.1), install-s (requirements check)
bench:
	@test -n "$(OPENDASH_TEST_PYTHON)" || (echo "set OPENDASH_TEST_PYTHON to a Python that can import dash"; exit 2)
	$(GO) test -run '^$$' -bench BundleSinglePage -benchtime 15x -count 1 ./bundler/

## bench-server: issue 11's targets for the server function of examples/single-page, medians of 15 runs:
##        OPENDASH_TEST_PYTHON=/path/to/python make bench-server
##        cold/floor (handler import + first index request over the app's own load and index; <= 1.1),
##        first-after-warmer/warm (<= 3), callback-handler/flask (callback through the handler over Flask's
##        test client; <= 1.2)
bench-server:
	@test -n "$(OPENDASH_TEST_PYTHON)" || (echo "set OPENDASH_TEST_PYTHON to a Python that can import dash"; exit 2)
	$(GO) test -run '^$$' -bench ServerSinglePage -benchtime 15x -count 1 ./bundler/

## bench-sync: issue 24's large site (20,000 files and one of 100 MB) synced against moto on loopback:
##        seconds and peak memory of a first sync, a sync with nothing to do and one with two changes
bench-sync:
	PYTHONDONTWRITEBYTECODE=1 $(PYTHON) component/functions/sync_bench.py --files 20000 --big-mb 100

## bench-image: issue 22's numbers for the native image builder on examples/single-page (stand-in Dash) plus a
##        dependency of OPENDASH_BENCH_MODULES modules (default 3000), pip reading a loopback index: cold-s (pip's
##        cache empty), pip-cache-s, kept-deps-s (a code edit reusing the dependencies layer), full-B and
##        asset-edit-B (bytes pushed for the whole image, then for one asset edit). Needs python3 with pip and Flask.
bench-image:
	$(GO) test -run '^$$' -bench ImageBuild -benchtime 3x -count 1 ./serverimage/

## build: the open-dash CLI into bin/
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/open-dash ./cmd/open-dash

## install: the open-dash CLI into GOBIN
install:
	$(GO) install -ldflags "$(LDFLAGS)" ./cmd/open-dash

clean:
	rm -rf $(BIN)

# ---- The opendash provider plugin: DashSite for YAML, TypeScript, Python (see docs/other-languages.md) ----
PULUMI         ?= pulumi
PLUGIN         ?= $(BIN)/pulumi-resource-opendash
# What the plugin reports (version.Plugin): VERSION without its "v", else 0.1.0-dev.
PLUGIN_VERSION ?= $(or $(patsubst v%,%,$(filter v%,$(VERSION))),0.1.0-dev)
SDK_LANGUAGES  ?= nodejs python
SDK_OUT        ?= $(BIN)/sdk

.PHONY: schema policy release plugin install-plugin sdks

## schema: regenerate schema.json from the Go types (GetSchema in-process; no Pulumi CLI needed)
schema:
	$(GO) test ./provider -run '^TestSchema$$' -count=1 -update

## policy: regenerate docs/deployer-policy-*.json (the deploying identity's IAM policy) from deployerpolicy's table
policy:
	$(GO) test ./deployerpolicy -run '^TestDocsPolicy$$' -count=1 -update

## release: the release archives in dist/: open-dash and pulumi-resource-opendash for linux, darwin and windows
##          on amd64 and arm64 (plain go build, -trimpath, the version of `git describe` stamped), each in
##          <name>-v<version>-<os>-<arch>.tar.gz as Pulumi's plugin installer expects, and a checksums file.
##          make test builds this machine's platform only (internal/release's test).
release:
	$(GO) run ./tools/release -out dist

## plugin: build the provider plugin into bin/pulumi-resource-opendash
plugin:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(PLUGIN) ./cmd/pulumi-resource-opendash

## install-plugin: install bin/pulumi-resource-opendash as resource plugin opendash $(PLUGIN_VERSION) (needs pulumi)
install-plugin: plugin
	@command -v $(PULUMI) >/dev/null 2>&1 || { echo "install-plugin: $(PULUMI) is not on PATH; install the Pulumi CLI, or set PULUMI=/path/to/pulumi"; exit 2; }
	$(PULUMI) plugin install resource opendash $(PLUGIN_VERSION) --file $(PLUGIN) --reinstall

## sdks: generate the TypeScript and Python SDKs into bin/sdk/{nodejs,python}, by one of two routes (it prints
##       which): with pulumi on PATH, `pulumi package gen-sdk` on the built plugin; without it, tools/sdkgen
##       (Pulumi's own code generators in-process) on schema.json, which TestSchema keeps equal to what the
##       plugin serves. SDK_ROUTE=cli or SDK_ROUTE=sdkgen forces one.
## The plugin is named by an absolute path: pulumi reads a bare "bin/..." as a registry package name.
SDK_ROUTE ?= $(if $(shell command -v $(PULUMI) 2>/dev/null),cli,sdkgen)
comma     := ,
empty     :=
space     := $(empty) $(empty)

sdks:
ifeq ($(SDK_ROUTE),cli)
	@echo "sdks: route: Pulumi CLI ($(PULUMI) package gen-sdk on $(PLUGIN))"
	@$(MAKE) --no-print-directory plugin
	@for lang in $(SDK_LANGUAGES); do \
	  $(PULUMI) package gen-sdk $(abspath $(PLUGIN)) --language $$lang --out $(SDK_OUT) || exit 1; \
	done
else ifeq ($(SDK_ROUTE),sdkgen)
	@echo "sdks: route: tools/sdkgen, Pulumi's code generators in-process on schema.json (no Pulumi CLI$(if $(shell command -v $(PULUMI) 2>/dev/null),,: $(PULUMI) is not on PATH))"
	cd $(SDKGEN) && $(GO) run ./cmd/opendash-sdkgen -schema $(abspath schema.json) -out $(abspath $(SDK_OUT)) \
	  -language $(subst $(space),$(comma),$(strip $(SDK_LANGUAGES))) -version $(PLUGIN_VERSION)
else
	@echo "sdks: SDK_ROUTE=$(SDK_ROUTE): use cli (pulumi package gen-sdk) or sdkgen (tools/sdkgen)"; exit 2
endif
	@echo "sdks: written to $(SDK_OUT)/{$(subst $(space),$(comma),$(strip $(SDK_LANGUAGES)))}"
