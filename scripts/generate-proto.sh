#!/usr/bin/env bash
# Compiles proto/diun/*.proto (the part of Diun's gRPC API the dashboard calls) into
# gen/diunpb with Debian's protoc and the Go plugins pinned in tools/go.mod. `make generate`
# runs it; check-generate.sh runs it again into an empty tree. Usage: generate-proto.sh [OUT]
# (OUT defaults to the repository root; the package lands in OUT/gen/diunpb).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath "${1:-.}")
command -v protoc >/dev/null || { echo "generate-proto: protoc is missing: run scripts/ensure-protoc.sh"; exit 1; }
mkdir -p bin
for plugin in google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/grpc/cmd/protoc-gen-go-grpc; do
  # Built from tools/go.mod, so the generated headers name the pinned versions.
  (cd tools && go build -o "../bin/$(basename "$plugin")" "$plugin")
done
mkdir -p "$out/gen/diunpb"
rm -f "$out"/gen/diunpb/*.pb.go
# Generated directly into gen/diunpb (module= strips the import path), so the tree never holds
# anything protoc did not write this time.
PATH="$PWD/bin:$PATH" protoc -I proto \
  --go_out="$out" --go_opt=module=diundashboard \
  --go-grpc_out="$out" --go-grpc_opt=module=diundashboard \
  diun/image.proto diun/notif.proto
