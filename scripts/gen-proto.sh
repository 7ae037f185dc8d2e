#!/usr/bin/env bash
# Regenerates the Go code for every protocols/**/*.proto.
#
#   scripts/gen-proto.sh            # write protocols/<name>pb/*.pb.go in place
#   scripts/gen-proto.sh OUTDIR     # write OUTDIR/protocols/<name>pb/*.pb.go instead
#   go generate ./protocols         # same as the first form (protocols/doc.go)
#
# Reproducible: protoc must be the pinned version (Debian bookworm's
# protobuf-compiler, libprotoc 3.21.12) and protoc-gen-go is built from the
# module cache at the version go.mod requires (google.golang.org/protobuf
# v1.36.12), so the header comment and the code are identical everywhere.
# paths=source_relative; one protoc run per .proto, in sorted order.
set -euo pipefail

want_protoc="3.21.12"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if ! command -v protoc >/dev/null 2>&1; then
  echo "gen-proto: protoc not found; install it: apt-get install -y protobuf-compiler" >&2
  exit 2
fi
have_protoc="$(protoc --version | awk '{print $2}')"
if [ "$have_protoc" != "$want_protoc" ]; then
  echo "gen-proto: protoc $have_protoc found, want $want_protoc (the version comment in generated code would differ)" >&2
  exit 2
fi

bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
# Built inside the module, so the version comes from go.mod, not from @latest.
(cd "$root" && go build -o "$bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go)

cd "$root"
mapfile -t protos < <(find protocols -name '*.proto' -type f | LC_ALL=C sort)
if [ "${#protos[@]}" -eq 0 ]; then
  echo "gen-proto: no .proto files under protocols/" >&2
  exit 2
fi
for p in "${protos[@]}"; do
  mkdir -p "$out/$(dirname "$p")"
  protoc --plugin=protoc-gen-go="$bin/protoc-gen-go" -I . \
    --go_out="$out" --go_opt=paths=source_relative "$p"
done
