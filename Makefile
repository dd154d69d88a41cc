# OpenDash developer commands. `make setup` once, then `make test`.
GO      ?= go
BIN     ?= bin
PYTHON  ?= python3
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/opendash/opendash/bundler.Version=$(VERSION)

.PHONY: setup test test-integration bench build install lint clean

## setup: download Go modules and check the Python modules the artifact tests use
setup:
	$(GO) mod download
	$(PYTHON) -c "import flask, werkzeug, boto3, botocore, moto" || \
	  (echo "artifact tests need Flask, Werkzeug, boto3, botocore and moto in $(PYTHON)"; exit 1)

## test: every test that needs no Dash, Docker or AWS (integration tests skip with a reason)
test:
	$(GO) vet ./...
	$(GO) test ./...

## test-integration: bundle the examples with a real Dash: OPENDASH_TEST_PYTHON=/path/to/python make test-integration
test-integration:
	@test -n "$(OPENDASH_TEST_PYTHON)" || (echo "set OPENDASH_TEST_PYTHON to a Python that can import dash"; exit 2)
	$(GO) test -count=1 -run 'Integration|Browser' -v ./...

## bench: time a bundle of the single-page example (needs OPENDASH_TEST_PYTHON)
bench:
	$(GO) test -run '^$$' -bench . -benchtime 5x ./bundler/

## build: the open-dash CLI into bin/
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/open-dash ./cmd/open-dash

## install: the open-dash CLI into GOBIN
install:
	$(GO) install -ldflags "$(LDFLAGS)" ./cmd/open-dash

clean:
	rm -rf $(BIN)
