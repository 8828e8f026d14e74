# DiunDashboard: build, test and CI entry points. `make` alone lists the targets.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# Applied to every `go test` that runs tests. -count=1: the database tests are not cached.
TESTFLAGS ?= -count=1 -timeout 20m
BENCHTIME ?= 1s
COUNT     ?= 6
BENCH_OUT ?= artifacts/bench/$(VERSION).txt
FUZZTIME  ?= 20s

# Tools come from the tools module (tools/go.mod), never from the main module's requirements.
GOTOOL := $(GO) tool -modfile=tools/go.mod
SQLC   := bin/sqlc

.PHONY: help generate check-generate build run test test-postgres test-all lint bench fuzz clean docker-build
.PHONY: release release-check release-repro release-tools
.PHONY: test-deploy
.PHONY: test-e2e test-load test-crash test-outage test-diskfull test-slow bench-report screenshots

help: ## list the targets
	@echo "DiunDashboard: make TARGET"
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'
	@echo "Variables: VERSION=$(VERSION) TESTFLAGS='$(TESTFLAGS)' BENCHTIME=$(BENCHTIME) COUNT=$(COUNT) FUZZTIME=$(FUZZTIME)"

# sqlc is built without cgo (it then parses PostgreSQL with a WASM libpg_query: same output).
# About 2 minutes cold; rebuilt only when the tools module changes.
$(SQLC): tools/go.mod tools/go.sum
	cd tools && CGO_ENABLED=0 $(GO) build -o ../$(SQLC) github.com/sqlc-dev/sqlc/cmd/sqlc
	@touch $@

generate: $(SQLC) ## regenerate gen/ from sql/ with sqlc and gen/diunpb from proto/ with protoc
	$(SQLC) generate
	scripts/ensure-protoc.sh >/dev/null
	scripts/generate-proto.sh

check-generate: generate ## fail if gen/ is not exactly what sqlc generates; sqlc vet the SQLite queries
	SQLC=$(SQLC) scripts/check-generate.sh
	$(SQLC) vet

build: ## build bin/diundashboard (static, no cgo)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/diundashboard ./cmd/diundashboard

# Release tools (tools/release, a module of their own so that they never move sqlc's dependencies):
# the OCI image builder, nfpm and cyclonedx-gomod. About 10 minutes cold; rebuilt when it changes.
RELEASE_TOOLS := bin/ocibuild bin/nfpm bin/cyclonedx-gomod
$(RELEASE_TOOLS) &: tools/release/go.mod tools/release/go.sum tools/release/ocibuild/main.go
	cd tools/release && CGO_ENABLED=0 $(GO) build -o ../../bin/ ./ocibuild github.com/goreleaser/nfpm/v2/cmd/nfpm github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod
	@touch $(RELEASE_TOOLS)

release-tools: $(RELEASE_TOOLS) ## build the release tools into bin/

# TARGETS="linux/amd64 linux/arm64" builds a subset (development, CI); the default is every target.
release: $(RELEASE_TOOLS) ## dist/: archives, SBOMs, .deb/.rpm, OCI image index, signed checksums, provenance (VERSION=vX.Y.Z)
	VERSION=$(VERSION) scripts/release.sh

release-check: $(RELEASE_TOOLS) ## verify dist/ and run every image platform under qemu (as root; same TARGETS as release)
	scripts/ensure-release-tools.sh
	scripts/release-check.sh

release-repro: $(RELEASE_TOOLS) ## make release again in a fresh clone; fail unless checksums.txt and the image digest are identical
	VERSION=$(VERSION) scripts/release-repro.sh

# The Dockerfile runs the same go build line as `build` (internal/deploytest checks it).
docker-build: ## build the container image diundashboard:$(VERSION) (needs Docker)
	docker build --build-arg VERSION=$(VERSION) --build-arg REVISION=$$(git rev-parse HEAD 2>/dev/null || true) \
	  -t diundashboard:$(VERSION) -t diundashboard:latest .

run: ## serve on :8080 with the SQLite database in data/
	$(GO) run ./cmd/diundashboard

test: ## tests that need no external service (SQLite)
	$(GO) test $(TESTFLAGS) ./...

# With TEST_DATABASE_URL set, the tests use that server and the local one is left alone.
test-postgres: ## start (or install) PostgreSQL, then the tests with -tags postgres
	[[ -n "$${TEST_DATABASE_URL:-}" ]] || scripts/ensure-postgres.sh
	$(GO) test $(TESTFLAGS) -tags postgres ./...

# The postgres tag only adds the PostgreSQL tests to the untagged ones, so one tagged run is the
# whole suite: running `test` first would run every SQLite test twice.
test-all: ## the whole suite: SQLite, PostgreSQL, the browser, email and broker tests (Chromium and mosquitto installed, mailpit built when missing), the Helm chart and the workflows
	scripts/ensure-chromium.sh
	scripts/ensure-mailpit.sh
	scripts/ensure-mosquitto.sh
	$(MAKE) test-postgres
	$(MAKE) test-deploy

# The deploy kit's own module (tools/deploy): helm and actionlint are heavy, so they stay out of
# the main module and the tools module. Renders the chart with `helm template` and decodes every
# manifest strictly into the Kubernetes API types; actionlint checks the GitHub workflows.
test-deploy: ## the Helm chart (helm template, strict decoding) and actionlint on .github/workflows
	cd tools/deploy && $(GO) test $(TESTFLAGS) ./...
	$(GO) tool -modfile=tools/deploy/go.mod actionlint

# The browser tests named TestBrowserScreenshots… (server/web): each page saved as
# <page>-<light|dark|mobile|mobile-dark>.png. CI=1: a missing Chromium fails instead of skipping.
screenshots: ## every page (overview full and empty, image, Connect, sign-in, tags) at 1280×800 and 360×740, light and dark, into artifacts/screenshots/
	scripts/ensure-chromium.sh
	CI=1 $(GO) test -count=1 -run '^TestBrowserScreenshots' ./server/web/
	@echo "Saved to $${ARTIFACTS_DIR:-artifacts}/screenshots/: open each one and look at it."

# Reliability tests (internal/e2e, build tag e2e; postgres adds the PostgreSQL ones): the real
# binary or HTTP server under load and faults, over 127.0.0.1 only. About 2 minutes in all.
E2E_TEST = $(GO) test $(TESTFLAGS) -v ./internal/e2e/
ensure-pg = [[ -n "$${TEST_DATABASE_URL:-}" ]] || scripts/ensure-postgres.sh

test-e2e: ## reliability: load, kill -9, PostgreSQL outage, disk full, slow clients
	$(ensure-pg)
	$(E2E_TEST) -tags 'e2e postgres'

test-load: ## 50,000 notifications from 64 senders, SQLite and PostgreSQL
	$(ensure-pg)
	$(E2E_TEST) -tags 'e2e postgres' -run '^TestLoad'

test-crash: ## kill -9 the binary mid-write, 12 rounds; every 2xx survives
	$(E2E_TEST) -tags e2e -run '^TestCrash'

test-outage: ## cut PostgreSQL (TCP proxy) mid-load: 503, then recovery without restart
	$(ensure-pg)
	$(E2E_TEST) -tags 'e2e postgres' -run '^TestOutage'

test-diskfull: ## SQLite file that fills up: 503 with a JSON error, no corruption
	$(E2E_TEST) -tags e2e -run '^TestDiskFull'

test-slow: ## slowloris and oversized headers against the production HTTP server
	$(E2E_TEST) -tags e2e -run '^TestSlowClients'

bench-report: ## measure everything and rewrite BENCHMARKS.md (about 5 minutes)
	scripts/bench-report.sh

# Every check runs, then lint fails if any did. staticcheck checks both builds in one -matrix run,
# so code used by only one of them is not reported as unused.
lint: ## gofmt, go vet and staticcheck, without and with -tags postgres
	@rc=0; \
	echo "gofmt -l ."; unformatted=$$(gofmt -l .); \
	if [[ -n $$unformatted ]]; then echo "these files need gofmt -w:"; echo "$$unformatted"; rc=1; fi; \
	echo "go vet ./..."; $(GO) vet ./... || rc=1; \
	echo "go vet -tags postgres ./..."; $(GO) vet -tags postgres ./... || rc=1; \
	echo "go vet -tags e2e,postgres ./..."; $(GO) vet -tags e2e,postgres ./... || rc=1; \
	echo "staticcheck ./... (default, -tags postgres, -tags e2e,postgres)"; \
	printf 'default:\npostgres: -tags=postgres\ne2e: -tags=e2e,postgres\n' | $(GOTOOL) staticcheck -matrix ./... || rc=1; \
	exit $$rc

bench: ## benchmarks into artifacts/bench/ (BENCHTIME, COUNT, BENCH_OUT)
	@mkdir -p $(dir $(BENCH_OUT))
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -count $(COUNT) ./... | tee $(BENCH_OUT)
	@echo "Saved to $(BENCH_OUT). Compare two runs with:"
	@echo "  $(GOTOOL) benchstat OLD.txt $(BENCH_OUT)"

fuzz: ## run every fuzz target for FUZZTIME each
	@list=$$($(GO) test -list '^Fuzz' ./...); \
	targets=$$(awk '/^Fuzz/ { names[n++] = $$1; next } /^ok / { for (i = 0; i < n; i++) print $$2, names[i]; n = 0 }' <<<"$$list"); \
	if [[ -z $$targets ]]; then echo "no fuzz targets"; exit 0; fi; \
	while read -r pkg name; do \
	  echo "== $$pkg $$name ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$pkg"; \
	done <<<"$$targets"

clean: ## remove bin/ and artifacts/ (data/ is kept)
	rm -rf bin artifacts
