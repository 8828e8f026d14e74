#!/usr/bin/env bash
# Makes sure Debian's protoc (package protobuf-compiler) is installed, for `make generate` of the
# Diun gRPC client (gen/diunpb). Idempotent; installing needs root. The Go plugins
# (protoc-gen-go, protoc-gen-go-grpc) are pinned in tools/go.mod and built by the Makefile.
set -euo pipefail

if ! command -v protoc >/dev/null; then
  [[ $(id -u) == 0 ]] || { echo "ensure-protoc: need root to install protobuf-compiler"; exit 1; }
  echo "ensure-protoc: installing Debian's protobuf-compiler"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler
fi
protoc --version
