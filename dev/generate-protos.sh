#!/usr/bin/env bash
# Regenerates the committed Swift code under Sources/*/Generated from Protos/.
#
#   dev/generate-protos.sh
#
# Needs: swift (6.1+), network access to Debian's packages only if `protoc`
# is missing. The protoc plugins are built from source in a throwaway package
# under $PROTOC_SCRATCH (default: <repo>/.build-protoc, gitignored).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRATCH="${PROTOC_SCRATCH:-$ROOT/.build-protoc}"
PLUGIN_PKG="$SCRATCH/plugins"
SWIFT_PROTOBUF_VERSION="1.39.0"
GRPC_SWIFT_PROTOBUF_VERSION="2.4.1"

PROTOS="$ROOT/Protos"
MAPPINGS="$PROTOS/swift-module-mappings.asciipb"
OUT_CONFIG="$ROOT/Sources/TritonModelConfig/Generated"
OUT_KSERVE="$ROOT/Sources/KServeGRPC/Generated"

log() { printf '==> %s\n' "$*"; }
start=$SECONDS

# --- 1. protoc --------------------------------------------------------------
if ! command -v protoc >/dev/null 2>&1; then
  log "protoc not found; installing Debian's protobuf-compiler"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq protobuf-compiler
fi
log "using $(protoc --version) at $(command -v protoc)"

# --- 2. plugins ----------------------------------------------------------------
log "preparing plugin package in $PLUGIN_PKG"
mkdir -p "$PLUGIN_PKG/Sources/Placeholder"
cat > "$PLUGIN_PKG/Package.swift" <<SWIFT
// swift-tools-version:6.1
// Throwaway package: exists only to build the protoc plugins.
import PackageDescription

let package = Package(
  name: "ProtocPlugins",
  dependencies: [
    .package(url: "https://github.com/apple/swift-protobuf.git", from: "$SWIFT_PROTOBUF_VERSION"),
    .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "$GRPC_SWIFT_PROTOBUF_VERSION"),
  ],
  targets: [
    .target(
      name: "Placeholder",
      dependencies: [
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
      ],
      path: "Sources/Placeholder"
    )
  ]
)
SWIFT
echo "// Intentionally empty." > "$PLUGIN_PKG/Sources/Placeholder/Placeholder.swift"

t=$SECONDS
log "building protoc-gen-swift (swift-protobuf from $SWIFT_PROTOBUF_VERSION)"
swift build --package-path "$PLUGIN_PKG" --product protoc-gen-swift
log "building protoc-gen-grpc-swift-2 (grpc-swift-protobuf from $GRPC_SWIFT_PROTOBUF_VERSION)"
swift build --package-path "$PLUGIN_PKG" --product protoc-gen-grpc-swift-2
BIN="$(swift build --package-path "$PLUGIN_PKG" --show-bin-path)"
log "plugins ready in $((SECONDS - t))s ($BIN)"

PROTOC_GEN_SWIFT="$BIN/protoc-gen-swift"
PROTOC_GEN_GRPC="$BIN/protoc-gen-grpc-swift-2"

# --- 3. generate ---------------------------------------------------------------
mkdir -p "$OUT_CONFIG" "$OUT_KSERVE"
rm -f "$OUT_CONFIG"/*.swift "$OUT_KSERVE"/*.swift

SWIFT_OPTS="Visibility=Public,UseAccessLevelOnImports=true,FileNaming=DropPath"
GRPC_OPTS="Visibility=Public,Server=true,Client=true,UseAccessLevelOnImports=true,FileNaming=DropPath"

# model_config.proto -> TritonModelConfig (messages only).
log "generating TritonModelConfig from inference/model_config.proto"
protoc \
  --plugin=protoc-gen-swift="$PROTOC_GEN_SWIFT" \
  -I "$PROTOS/inference" \
  --swift_opt="$SWIFT_OPTS" \
  --swift_out="$OUT_CONFIG" \
  "$PROTOS/inference/model_config.proto"

# grpc_service.proto -> KServeGRPC; its config types come from
# TritonModelConfig via the module mapping file. Only protoc-gen-swift gets
# the mapping: the service code references request/response messages of
# grpc_service.proto alone, and with the mapping protoc-gen-grpc-swift-2
# would add a `public import TritonModelConfig` that Swift flags as unused.
# (If an RPC ever takes a model_config.proto message directly, append
# ",ProtoPathModuleMappings=$MAPPINGS" to the --grpc-swift_opt below.)
log "generating KServeGRPC from inference/grpc_service.proto"
protoc \
  --plugin=protoc-gen-swift="$PROTOC_GEN_SWIFT" \
  --plugin=protoc-gen-grpc-swift="$PROTOC_GEN_GRPC" \
  -I "$PROTOS/inference" \
  --swift_opt="$SWIFT_OPTS,ProtoPathModuleMappings=$MAPPINGS" \
  --swift_out="$OUT_KSERVE" \
  --grpc-swift_opt="$GRPC_OPTS" \
  --grpc-swift_out="$OUT_KSERVE" \
  "$PROTOS/inference/grpc_service.proto"

# health.proto -> KServeGRPC.
log "generating KServeGRPC from grpc/health/v1/health.proto"
protoc \
  --plugin=protoc-gen-swift="$PROTOC_GEN_SWIFT" \
  --plugin=protoc-gen-grpc-swift="$PROTOC_GEN_GRPC" \
  -I "$PROTOS" \
  --swift_opt="$SWIFT_OPTS" \
  --swift_out="$OUT_KSERVE" \
  --grpc-swift_opt="$GRPC_OPTS" \
  --grpc-swift_out="$OUT_KSERVE" \
  "$PROTOS/grpc/health/v1/health.proto"

log "generated files:"
( cd "$ROOT" && ls -l Sources/TritonModelConfig/Generated Sources/KServeGRPC/Generated )
log "done in $((SECONDS - start))s"
