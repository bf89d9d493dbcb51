#!/usr/bin/env bash
# Prints the path of the OpenTofu the acceptance suite runs on (make testacc-tofu).
#
# Order: $TOFU if set; otherwise OpenTofu $TOFU_VERSION built once from source
# into $CACHE_DIR/tofu/<version>/ and reused from there. `go install` of
# github.com/opentofu/opentofu/cmd/tofu is refused (its go.mod has replace
# directives), so the module is fetched through the Go module proxy with
# `go mod download`, copied out of the read-only module cache into a writable
# folder and built there with `go build ./cmd/tofu`. Nothing else is downloaded.
set -euo pipefail

version=${TOFU_VERSION:?TOFU_VERSION is set by the GNUmakefile}
cache=${CACHE_DIR:?CACHE_DIR is set by the GNUmakefile}

usable() { # usable BINARY: true when BINARY runs and reports an OpenTofu version
	# The outputs are read whole before they are matched: with pipefail, a
	# reader that stops early (grep -q, head) can kill the writer with
	# SIGPIPE and fail the check (1 run in 100 here).
	local json text
	json=$("$1" version -json 2>/dev/null) || return 1
	[[ $json =~ \"terraform_version\":\ *\"[0-9][0-9.]* ]] || return 1
	text=$("$1" version 2>/dev/null) || return 1
	[[ $text == "OpenTofu "* ]]
}

if [ -n "${TOFU:-}" ]; then
	usable "$TOFU" || { echo "TOFU=$TOFU is not an OpenTofu binary" >&2; exit 1; }
	echo "$TOFU"
	exit 0
fi

dir="$cache/tofu/$version"
if [ -x "$dir/tofu" ] && usable "$dir/tofu"; then
	echo "$dir/tofu"
	exit 0
fi

echo "==> building OpenTofu $version from source into $dir (once; takes about 5 minutes on 2 cores)" >&2
# From an empty folder outside any module, so this project's go.mod and go.sum
# are not touched; the writable copy of the sources goes there too.
empty=$(mktemp -d)
trap 'rm -rf "$empty"' EXIT
src=$(cd "$empty" && GO111MODULE=on GOFLAGS= GOWORK=off go mod download -json "github.com/opentofu/opentofu@v$version" |
	sed -n 's/^[[:space:]]*"Dir": *"\(.*\)",*$/\1/p')
[ -d "$src" ] || { echo "go mod download did not give a module folder for OpenTofu v$version" >&2; exit 1; }
work="$empty/opentofu-$version" # removed on exit, as the empty folder
mkdir -p "$work" "$dir"
cp -R "$src/." "$work/"
chmod -R u+w "$work"
# version.dev=no is what OpenTofu's release build sets: `tofu version` then
# prints the release number (from version/VERSION) without a "-dev" suffix.
(cd "$work" && GOFLAGS=-buildvcs=false GOWORK=off go build -trimpath \
	-ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$dir/tofu" ./cmd/tofu) >&2
usable "$dir/tofu" || { echo "the OpenTofu built in $dir does not run" >&2; exit 1; }
echo "$dir/tofu"
