#!/usr/bin/env bash
# Installs the lint tools at pinned versions into .hush/bin (gitignored), from
# the Go module proxy, so a developer, CI and the GitHub workflow all lint with
# the same binaries. A tool is rebuilt only when its version or the Go
# toolchain that built it differs from what is wanted: golangci-lint must be
# built by a Go at least as new as the code it checks (Go 1.26 here).
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned versions: bump them here and nowhere else.
GOLANGCI_LINT_VERSION=v2.15.0
ACTIONLINT_VERSION=v1.7.12

BIN="$PWD/.hush/bin"
mkdir -p "$BIN"
GO_VERSION="$(go env GOVERSION)"

# up_to_date BINARY MODULE VERSION: true when BINARY was built from MODULE at
# VERSION by the current Go toolchain (read from the build info it embeds).
up_to_date() {
  local info
  [ -x "$1" ] || return 1
  info="$(go version -m "$1" 2>/dev/null)" || return 1
  grep -qE "^$1: ${GO_VERSION}\$" <<<"$info" &&
    grep -qE "^[[:space:]]+mod[[:space:]]+$2[[:space:]]+$3([[:space:]]|\$)" <<<"$info"
}

# install NAME MODULE PACKAGE VERSION
install() {
  if up_to_date "$BIN/$1" "$2" "$4"; then
    echo "tools: $1 $4 already installed"
    return
  fi
  echo "tools: installing $1 $4 (built with ${GO_VERSION}; takes a few minutes cold)"
  GOBIN="$BIN" go install "$3@$4"
}

install golangci-lint github.com/golangci/golangci-lint/v2 \
  github.com/golangci/golangci-lint/v2/cmd/golangci-lint "$GOLANGCI_LINT_VERSION"
install actionlint github.com/rhysd/actionlint \
  github.com/rhysd/actionlint/cmd/actionlint "$ACTIONLINT_VERSION"

# actionlint checks the shell in workflow run: blocks only when shellcheck is on
# PATH; without it that check is silently skipped, so make sure it is there.
if ! command -v shellcheck >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "tools: installing shellcheck (Debian package)"
    apt-get update -qq && apt-get install -y -qq shellcheck >/dev/null
  else
    echo "tools: shellcheck is required for actionlint's run: checks; install it (apt-get install shellcheck, brew install shellcheck)" >&2
    exit 1
  fi
fi
echo "tools: golangci-lint, actionlint and shellcheck ready in $BIN"
