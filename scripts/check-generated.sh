#!/usr/bin/env bash
# Fails (exit 1, printing a diff) if the committed protocols/**/*.pb.go are not
# exactly what scripts/gen-proto.sh produces from the committed .proto files.
# Regenerates into a temporary directory; the work tree is never modified.
#
#   bash scripts/check-generated.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

bash "$root/scripts/gen-proto.sh" "$tmp"

list() { (cd "$1" && find protocols -name '*.pb.go' -type f | LC_ALL=C sort); }
status=0
if ! diff -u --label committed --label generated <(list "$root") <(list "$tmp"); then
  echo "check-generated: the set of generated files differs (stale or missing .pb.go)" >&2
  status=1
fi
while read -r f; do
  [ -n "$f" ] || continue
  [ -f "$root/$f" ] || continue
  if ! diff -u --label "committed/$f" --label "generated/$f" "$root/$f" "$tmp/$f"; then
    status=1
  fi
done < <(list "$tmp")

if [ "$status" -ne 0 ]; then
  echo "check-generated: generated code is stale; run scripts/gen-proto.sh (or go generate ./protocols) and commit the result" >&2
  exit 1
fi
echo "check-generated: generated code is current"
