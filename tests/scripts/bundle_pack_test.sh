#!/usr/bin/env bash
# BundlePack: scripts/bundle.sh packs this build (its arguments passed on), and the archive stays
# under 40 MB even at the tests' fast compression (a release's xz -9 is smaller still).
#
#   bundle_pack_test.sh REPO BUNDLE.tar.xz [bundle.sh arguments...]
set -euo pipefail
repo=${1:?usage: $0 REPO BUNDLE.tar.xz [ARGS...]}
bundle=${2:?usage: $0 REPO BUNDLE.tar.xz [ARGS...]}
shift 2
"$repo/scripts/bundle.sh" --out "$bundle" "$@"
size=$(stat -c %s "$bundle")
((size < 40 * 1000 * 1000)) || { echo "FAIL: $bundle is $size bytes, over 40 MB"; exit 1; }
echo "PASS: $bundle is $size bytes"
