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
echo "coldstart: building the handlers for linux/$arch (same flags as make build)" >&2
for dir in handlers/*/; do
	[ -f "$dir/main.go" ] || continue
	fn=$(basename "$dir")
	CGO_ENABLED=0 GOOS=linux GOARCH="$arch" go build -tags lambda.norpc -trimpath -buildvcs=false \
		-ldflags="-s -w -buildid=" -o ".hush/coldstart/$fn/bootstrap" "./$dir"
	printf '  %-8s %s  %s bytes\n' "$fn" ".hush/coldstart/$fn/bootstrap" "$(stat -c %s ".hush/coldstart/$fn/bootstrap")" >&2
done

go run ./cmd/hush-coldstart -rie "$RIE" -dir .hush/coldstart -runs "$RUNS"
