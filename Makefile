# Hush: the commands a developer needs. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
STACK ?= dev

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

.PHONY: deps
deps: node_modules/.package-lock.json ## Install the emulators (npm ci).

# `make test` always tests a local stack it starts: every HUSH_* variable
# (HUSH_APIGW_URL, HUSH_STACK_OUTPUTS, ... as `make local` prints them) is
# dropped, so a leftover export cannot turn the run into a test of another
# stack. -count=1 because the emulators (npm packages, the jar) are not part
# of Go's test cache key: a cached pass would hide a broken emulator.
# TEST_TIMEOUT bounds the whole run per package (Go's default of 10 minutes
# is too short for e2e on a busy machine); TEST_PKGS narrows it.
TEST_TIMEOUT ?= 30m
TEST_PKGS ?= ./...
.PHONY: test
test: deps ## Run every test: unit, store, infrastructure mocks, e2e on a local stack it starts.
	@unset $$(compgen -e | grep '^HUSH_' || true); \
	echo "go test -count=1 -timeout $(TEST_TIMEOUT) $(TEST_PKGS)"; \
	go test -count=1 -timeout $(TEST_TIMEOUT) $(TEST_PKGS)

# `make unit` is the fast tier: go test -short, in which every test that
# needs an emulator (DynamoDB Local on Java, cognito-local on Node, a local
# cloud) skips and says so (internal/testtier). No `deps`: it needs neither
# Java nor Node nor node_modules, only Go. HUSH_* variables are dropped as
# for `make test`. Go's test cache applies: with no emulator involved, a
# cached pass is a pass.
.PHONY: unit
unit: ## The fast tier: every test that needs no emulator (go test -short), no Java, no Node.
	@unset $$(compgen -e | grep '^HUSH_' || true); \
	echo "go test -short $(TEST_PKGS)"; \
	go test -short $(TEST_PKGS)

# The status page in a real browser: Debian's Chromium, headless, driven by
# chromedp. A target of its own because `make test` needs no browser; .ci/run
# installs Chromium and runs it. It tests a local stack it starts, whatever
# HUSH_APIGW_URL says. HUSH_SCREENSHOT=docs/status-page.png keeps a
# screenshot of the page (the README's).
.PHONY: browser-test
browser-test: deps ## The status page in headless Chromium (apt-get install -y chromium first).
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || [ -n "$$HUSH_CHROMIUM" ] || \
	  { echo "browser-test: Chromium is missing: apt-get install -y chromium (Debian's package), or name a binary in HUSH_CHROMIUM" >&2; exit 1; }
	unset HUSH_APIGW_URL HUSH_STACK_OUTPUTS; go test -count=1 -tags browser -run '^TestStatusPageInBrowser$$' ./e2e

.PHONY: local
local: deps ## Run the local stack (STACK=dev|stage|prod): emulators and a gateway per region.
	@# Built, then run: `go run` exits 1 on Ctrl-C even when the program stops cleanly.
	go build -o .hush/bin/hush-local ./cmd/hush-local
	.hush/bin/hush-local -stack $(STACK)

.PHONY: lint
lint: ## Lint: go vet, golangci-lint (.golangci.yml), actionlint on .github/workflows.
	bash scripts/install-tools.sh
	go vet ./...
	.hush/bin/golangci-lint run ./...
	.hush/bin/actionlint

.PHONY: docs
docs: deps ## Build the API docs page (Redoc, works offline) into .hush/docs.
	go run ./cmd/hush-docs -out .hush/docs

# Lambda binaries: one per folder under handlers/, for provided.al2023 on
# arm64, built by cmd/hush-build with the Pulumi program's own build
# (internal/lambdabuild), whose flags make the bytes reproducible, so an
# unchanged handler is not redeployed.
.PHONY: build
build: ## Build every handler for linux/arm64 as .hush/build/<fn>/bootstrap.
	go run ./cmd/hush-build -out .hush/build

# Performance figures (issue 7). Timings are printed, never asserted: they
# depend on the machine, and its cores are shared.
.PHONY: bench
# hush-load endpoints starts its local stack without the stack's method
# throttling (-throttle keeps it); its first line says which.
bench: deps build ## Performance: bootstrap sizes, load table with DynamoDB floors (BENCH_FLAGS: flags of hush-load endpoints, e.g. -throttle), handler benchmarks.
	@echo "bench: local gateway throttling $(if $(findstring -throttle,$(BENCH_FLAGS)),ON (the stack's hush:throttle, per method),OFF (hush-load endpoints without -throttle, as hush-local -no-throttle))"
	go run ./cmd/hush-load endpoints $(BENCH_FLAGS)
	go test -run '^$$' -bench . -benchmem ./api ./scores ./localcloud/gateway

# The tournament-day profile (issue 14): a local prod stack (three regions),
# tournaments of 20 and 3,000 matches, polling, capacity and cost tables.
# About eight minutes on two cores, most of it waiting for the 3,000 seeded
# matches to replicate to the other two regions.
.PHONY: bench-day
bench-day: deps ## Tournament-day profile: per-endpoint latency, DynamoDB capacity, 304s, cost per request and per day (DAY_FLAGS: flags of hush-load day).
	go run ./cmd/hush-load day -stack prod $(DAY_FLAGS)

.PHONY: coldstart
coldstart: ## Init time of every handler under the Lambda Runtime Interface Emulator (RUNS=5).
	bash scripts/coldstart.sh
