#!/usr/bin/env bash
# Prints the path of a Terraform >= 1.5 for tests, docs and the demo.
#
# Order: $TERRAFORM if set; `terraform` on PATH when it is 1.5 or newer;
# otherwise Terraform $TERRAFORM_VERSION built once from source with
# `go install` (through the Go module proxy, nothing else is downloaded)
# into $CACHE_DIR/terraform/<version>/ and reused from there.
set -euo pipefail

version=${TERRAFORM_VERSION:?TERRAFORM_VERSION is set by the GNUmakefile}
cache=${CACHE_DIR:?CACHE_DIR is set by the GNUmakefile}

usable() { # usable BINARY: true when BINARY runs and reports version >= 1.5
	# Read whole, then matched (no pipe whose reader could stop early).
	local json v
	json=$("$1" version -json 2>/dev/null) || return 1
	[[ $json =~ \"terraform_version\":\ *\"([0-9][0-9.]*) ]] || return 1
	v=${BASH_REMATCH[1]}
	local major=${v%%.*} rest=${v#*.}
	local minor=${rest%%.*}
	[ "$major" -gt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -ge 5 ]; }
}

if [ -n "${TERRAFORM:-}" ]; then
	usable "$TERRAFORM" || { echo "TERRAFORM=$TERRAFORM is not a Terraform >= 1.5" >&2; exit 1; }
	echo "$TERRAFORM"
	exit 0
fi

if [ "${TERRAFORM_FROM_SOURCE:-}" != "1" ] && p=$(command -v terraform 2>/dev/null) && usable "$p"; then
	echo "$p"
	exit 0
fi

dir="$cache/terraform/$version"
if [ -x "$dir/terraform" ] && usable "$dir/terraform"; then
	echo "$dir/terraform"
	exit 0
fi

echo "==> building Terraform $version from source into $dir (once; takes a few minutes)" >&2
mkdir -p "$dir"
GOBIN="$dir" GOFLAGS=-buildvcs=false go install "github.com/hashicorp/terraform@v$version" >&2
usable "$dir/terraform" || { echo "the Terraform built in $dir does not run" >&2; exit 1; }
echo "$dir/terraform"
