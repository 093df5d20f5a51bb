#!/usr/bin/env bash
# Cold start of Hush's Lambda functions under the AWS Lambda Runtime
# Interface Emulator (make coldstart). Installs the emulator into .hush/bin,
# builds every handler for THIS machine's architecture (the deployed
# linux/arm64 bootstraps cannot run on an amd64 host), and prints each
# function's init time over RUNS fresh starts (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."

# The emulator is not tagged on the module proxy; this pseudo-version is the
# one served. `go install pkg@version` builds it outside Hush's go.mod.
RIE_MODULE=github.com/aws/aws-lambda-runtime-interface-emulator
RIE_VERSION=v0.0.0-20261030222936-bef5c4ba774d
RIE=.hush/bin/aws-lambda-rie
RUNS=${RUNS:-5}

if ! go version -m "$RIE" 2>/dev/null | grep -q "mod	$RIE_MODULE	$RIE_VERSION"; then
	echo "coldstart: installing $RIE_MODULE@$RIE_VERSION into .hush/bin" >&2
	GOBIN="$PWD/.hush/bin" GOFLAGS= go install "$RIE_MODULE/cmd/aws-lambda-rie@$RIE_VERSION"
fi

arch=$(go env GOARCH)
echo "coldstart: building the handlers for linux/$arch (the build of make build)" >&2
go run ./cmd/hush-build -arch "$arch" -out .hush/coldstart >&2

go run ./cmd/hush-coldstart -rie "$RIE" -dir .hush/coldstart -runs "$RUNS"
