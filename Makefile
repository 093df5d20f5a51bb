# Hush: the commands a developer needs. `make help` lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
STACK ?= dev

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

.PHONY: deps
deps: node_modules/.package-lock.json ## Install the emulators (npm ci).

.PHONY: test
test: deps ## Run every test: unit, store, infrastructure mocks, e2e on a local stack.
	go test ./...
