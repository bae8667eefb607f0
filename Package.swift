// swift-tools-version: 6.1
//
// Offload: a lean, Triton-compatible inference server for high-energy physics.
// Layers and the import rule are described in docs/architecture.md.

import Foundation
import PackageDescription

let strictSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("InternalImportsByDefault"),
  .enableUpcomingFeature("MemberImportVisibility"),
]

// Fuzzing (dev/fuzz.sh): with OFFLOAD_FUZZ=1 in the environment of `swift build`, the libFuzzer targets under
// Fuzz/ exist and the project targets on the fuzzed paths are built with coverage instrumentation and
// AddressSanitizer (third-party packages are not). Without it the package is unchanged (FuzzHarness and its
// regression tests are always built). Use a separate --scratch-path: instrumented objects cannot link into the
// normal products and tests.
let fuzzing = ProcessInfo.processInfo.environment["OFFLOAD_FUZZ"] == "1"
let fuzzFlags = ["-sanitize=fuzzer,address"]
/// Swift settings of a target on a fuzzed path: coverage feedback and AddressSanitizer under OFFLOAD_FUZZ=1.
let fuzzedSettings: [SwiftSetting] = strictSettings + (fuzzing ? [.unsafeFlags(fuzzFlags)] : [])

let package = Package(
  name: "offload",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "offload", targets: ["OffloadCLI"]),
    .executable(name: "offload-foundation-bench", targets: ["OffloadFoundationBench"]),
    .executable(name: "offload-client-bench", targets: ["OffloadClientBench"]),
    .library(name: "KServeProtocol", targets: ["KServeProtocol"]),
    .library(name: "KServeGRPC", targets: ["KServeGRPC"]),
    .library(name: "InferenceRuntime", targets: ["InferenceRuntime"]),
    .library(name: "InferenceBackendONNX", targets: ["InferenceBackendONNX"]),
    .library(name: "InferenceServer", targets: ["InferenceServer"]),
    .library(name: "OffloadClient", targets: ["OffloadClient"]),
    .library(name: "OffloadClientONNX", targets: ["OffloadClientONNX"]),
    .library(name: "OffloadBench", targets: ["OffloadBench"]),
    .library(name: "OffloadEvents", targets: ["OffloadEvents"]),
  ],
  // Two optional parts, on by default, each built on a library that imports all of Foundation (and so links
  // its 34 MB of ICU data into a static binary). The release binary of the wheel and the container image
  // (dev/build-release.sh) is built without them: a server and its gRPC tools in under 40 MB (docs/install.md).
  traits: [
    .trait(
      name: "HTTPClientTransport",
      description:
        "The Swift client's HTTP/REST transport (AsyncHTTPClient; it links Foundation through NIOFoundationCompat)."),
    .trait(
      name: "NumpyArchives",
      description: ".npz event and result files for `offload events` (ZIPFoundation, which imports Foundation)."),
    .default(enabledTraits: ["HTTPClientTransport", "NumpyArchives"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
    .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
    .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
    .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    // No default traits: FullFoundation links all of Foundation (and its 34 MB of ICU data) for
    // DateFormatter-based form decoding, ConfigurationSupport pulls in swift-configuration; neither is used.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    // Tests only: certificates generated at test time for the TLS and mutual-TLS tests.
    .package(url: "https://github.com/apple/swift-certificates", from: "1.21.0"),
    .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
    .package(url: "https://github.com/apple/swift-asn1", from: "1.7.0"),
  ],
  targets: [
    // Wire model as plain Sendable value types. Imports nothing but the standard library and Foundation.
    .target(name: "KServeProtocol", swiftSettings: fuzzedSettings),

    // Time and CPU measurement helpers (`Duration` in nanoseconds and seconds, process CPU time from /proc)
    // shared by the runtime, the client, the benches and event processing. Imports nothing but Foundation.
    .target(name: "OffloadMeasurement", swiftSettings: fuzzedSettings),

    // Generated from Protos/inference/model_config.proto: the ModelConfig schema (messages only).
    .target(
      name: "TritonModelConfig",
      dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
      swiftSettings: fuzzedSettings
    ),

    // Generated gRPC service code (grpc_service.proto, health.proto) and proto <-> KServeProtocol conversions.
    .target(
      name: "KServeGRPC",
      dependencies: [
        "KServeProtocol",
        "TritonModelConfig",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
      ],
      swiftSettings: fuzzedSettings
    ),

    // The runtime core: repository, lifecycle, validation, scheduling, statistics. No networking.
    .target(
      name: "InferenceRuntime",
      dependencies: [
        "OffloadMeasurement",
        "KServeProtocol",
        "TritonModelConfig",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "DequeModule", package: "swift-collections"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "CoreMetrics", package: "swift-metrics"),
        .product(name: "Histogram", package: "hdrhistogram-swift"),
      ],
      swiftSettings: fuzzedSettings
    ),

    // ONNX Runtime backend: libonnxruntime.so loaded with dlopen at run time.
    .target(
      name: "InferenceBackendONNX",
      dependencies: [
        "OffloadMeasurement",
        "InferenceRuntime",
        "KServeProtocol",
        "TritonModelConfig",
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSettings
    ),

    // The fault-injection test backend (`backend: "fault"`): fails, hangs and delays on demand, for fault,
    // overload and soak tests; `offload serve --enable-test-backends` registers it.
    .target(
      name: "InferenceBackendFault",
      dependencies: [
        "OffloadMeasurement",
        "InferenceRuntime",
        "KServeProtocol",
        "TritonModelConfig",
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSettings
    ),

    // Test support (no product): what tests of several layers share, e.g. temporary model repositories.
    .target(name: "OffloadTestSupport", swiftSettings: strictSettings),

    // gRPC's wire pieces shared by the server and the client (PROTOCOL-HTTP2): message framing, status,
    // timeout, compression, protobuf in ByteBuffers, receive-window credit. Pure values, no connection.
    .target(
      name: "GRPCWire",
      dependencies: [
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP2", package: "swift-nio-http2"),
        .product(name: "CompressNIO", package: "compress-nio"),
      ],
      swiftSettings: fuzzedSettings
    ),

    // GRPCInferenceService and grpc.health.v1.Health over the runtime, and gRPC's wire protocol on an HTTP/2
    // connection's frames (Wire/): swift-nio-http2 below it, no sockets or listener here.
    .target(
      name: "InferenceServerGRPC",
      dependencies: [
        "GRPCWire",
        "InferenceRuntime",
        "KServeGRPC",
        "KServeProtocol",
        "TritonModelConfig",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP2", package: "swift-nio-http2"),
        .product(name: "NIOHPACK", package: "swift-nio-http2"),
        .product(name: "DequeModule", package: "swift-collections"),
        .product(name: "CompressNIO", package: "compress-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: fuzzedSettings
    ),

    // KServe v2 HTTP/REST (JSON and binary tensors) over the runtime, as a Hummingbird router. No transport setup.
    .target(
      name: "InferenceServerHTTP",
      dependencies: [
        "InferenceRuntime",
        "KServeProtocol",
        "TritonModelConfig",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "CompressNIO", package: "compress-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: fuzzedSettings
    ),

    // Composition root: configuration, runtime + front ends + transports as a ServiceGroup.
    .target(
      name: "InferenceServer",
      dependencies: [
        "OffloadMeasurement",
        "InferenceRuntime",
        "InferenceBackendONNX",
        "InferenceBackendFault",
        "InferenceServerGRPC",
        "InferenceServerHTTP",
        "KServeProtocol",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP2", package: "swift-nio-http2"),
        .product(name: "NIOExtras", package: "swift-nio-extras"),
        .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdCore", package: "hummingbird"),
        .product(name: "HummingbirdTLS", package: "hummingbird"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "CoreMetrics", package: "swift-metrics"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSettings
    ),

    // Client library: connections, server pool, retries, local fallback, client-side batching.
    .target(
      name: "OffloadClient",
      dependencies: [
        "OffloadMeasurement",
        "KServeProtocol",
        "KServeGRPC",
        "TritonModelConfig",
        "InferenceRuntime",
        "GRPCWire",
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOTLS", package: "swift-nio"),
        .product(name: "NIOHTTP2", package: "swift-nio-http2"),
        .product(name: "NIOHPACK", package: "swift-nio-http2"),
        .product(name: "DequeModule", package: "swift-collections"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOFoundationCompat", package: "swift-nio", condition: .when(traits: ["HTTPClientTransport"])),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(
          name: "AsyncHTTPClient", package: "async-http-client", condition: .when(traits: ["HTTPClientTransport"])),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "CoreMetrics", package: "swift-metrics"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ],
      swiftSettings: strictSettings
    ),

    // The client's local fallback on ONNX Runtime (`LocalInference.Source.repositories(_:onnxRuntimeLibrary:)`):
    // a separate library, so a client without a fallback does not link the backend.
    .target(
      name: "OffloadClientONNX",
      dependencies: [
        "OffloadClient", "InferenceRuntime", "InferenceBackendONNX",
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSettings
    ),

    // `offload bench`: load generation, stability rule, HDR latencies, reports (JSON/CSV), direct baseline.
    .target(
      name: "OffloadBench",
      dependencies: [
        "OffloadMeasurement",
        "OffloadClient", "KServeProtocol", "KServeGRPC", "TritonModelConfig", "InferenceRuntime",
        "InferenceBackendONNX",
        .product(name: "Histogram", package: "hdrhistogram-swift"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSettings
    ),

    // Event processing: toy detector generator, ExternalWork-style modules, demo workflow, .npz files.
    .target(
      name: "OffloadEvents",
      dependencies: [
        "KServeProtocol", "OffloadClient", "OffloadMeasurement",
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "ZIPFoundation", package: "ZIPFoundation", condition: .when(traits: ["NumpyArchives"])),
      ],
      swiftSettings: strictSettings
    ),

    // The one executable: `offload serve`, `infer`, `health`, `metadata`, `bench`, `events`.
    .executableTarget(
      name: "OffloadCLI",
      dependencies: [
        "OffloadMeasurement",
        "InferenceServer",
        "OffloadClient",
        "OffloadClientONNX",
        "OffloadBench",
        "OffloadEvents",
        "KServeProtocol",
        "KServeGRPC",
        "InferenceRuntime",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSettings
    ),

    // Benchmark (not a test): direct ONNX Runtime vs in-process runtime vs gRPC round trip.
    .executableTarget(
      name: "OffloadFoundationBench",
      dependencies: [
        "OffloadMeasurement",
        "InferenceServer", "InferenceRuntime", "InferenceBackendONNX", "KServeGRPC", "KServeProtocol",
        "TritonModelConfig",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSettings
    ),

    // Benchmark (not a test): the client library's CPU per request, pool throughput, coalescing.
    .executableTarget(
      name: "OffloadClientBench",
      dependencies: [
        "OffloadMeasurement",
        "OffloadClient", "InferenceServer", "InferenceRuntime", "KServeGRPC", "KServeProtocol",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSettings
    ),

    // One input through a decoding/validation path, for the libFuzzer targets and their regression tests (Fuzz/).
    .target(
      name: "FuzzHarness",
      dependencies: [
        "InferenceRuntime", "GRPCWire", "InferenceServerGRPC", "InferenceServerHTTP", "KServeGRPC", "KServeProtocol",
        "TritonModelConfig",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "NIOCore", package: "swift-nio"),
      ],
      path: "Fuzz/FuzzHarness",
      swiftSettings: fuzzedSettings
    ),

    .testTarget(
      name: "KServeProtocolTests",
      dependencies: ["KServeProtocol"],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "InferenceRuntimeTests",
      dependencies: [
        "OffloadMeasurement",
        "InferenceRuntime", "InferenceBackendFault", "KServeProtocol", "TritonModelConfig", "OffloadTestSupport",
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "InferenceServerGRPCTests",
      dependencies: [
        "InferenceServerGRPC", "GRPCWire", "InferenceRuntime", "KServeGRPC", "KServeProtocol",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "NIOHTTP2", package: "swift-nio-http2"),
        .product(name: "NIOHPACK", package: "swift-nio-http2"),
      ],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "InferenceServerHTTPTests",
      dependencies: [
        "InferenceServerHTTP", "InferenceRuntime", "InferenceBackendFault", "KServeProtocol", "OffloadTestSupport",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTesting", package: "hummingbird"),
        .product(name: "CompressNIO", package: "compress-nio"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "InferenceBackendONNXTests",
      dependencies: [
        "InferenceBackendONNX", "InferenceRuntime", "KServeProtocol", "TritonModelConfig",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "OffloadEventsTests",
      dependencies: ["OffloadEvents", "OffloadClient", "KServeProtocol", "InferenceRuntime"],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "OffloadBenchTests",
      dependencies: ["OffloadBench", "OffloadClient", "KServeProtocol"],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "OffloadClientTests",
      dependencies: [
        "OffloadClient", "KServeProtocol", "KServeGRPC", "GRPCWire", "InferenceRuntime",
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "NIOHTTP2", package: "swift-nio-http2"),
        .product(name: "NIOHPACK", package: "swift-nio-http2"),
      ],
      swiftSettings: strictSettings
    ),
    .testTarget(
      name: "EndToEndTests",
      dependencies: [
        "OffloadMeasurement",
        "InferenceServer", "OffloadClient", "OffloadClientONNX", "OffloadBench", "OffloadEvents", "InferenceRuntime",
        "KServeGRPC",
        "KServeProtocol", "InferenceBackendFault", "OffloadTestSupport",
        "TritonModelConfig",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
      ],
      swiftSettings: strictSettings
    ),
    // Every seed (Fuzz/Corpus) and saved crash (Fuzz/Regressions) through FuzzHarness.
    .testTarget(
      name: "FuzzRegressionTests",
      dependencies: ["FuzzHarness"],
      swiftSettings: strictSettings
    ),
  ],
  swiftLanguageModes: [.v6]
)

// The libFuzzer executables, only under OFFLOAD_FUZZ=1 (dev/fuzz.sh). Each is a main.swift whose top-level code
// starts libFuzzer through FuzzDriver (C), because SwiftPM's `--defsym main=<Target>_main` replaces libFuzzer's
// own main(). lld: gold prints a warning per AddressSanitizer symbol.
if fuzzing {
  package.targets.append(.target(name: "FuzzDriver", path: "Fuzz/FuzzDriver"))
  for name in ["FuzzGRPCInferRequest", "FuzzGRPCStream", "FuzzHTTPInfer", "FuzzModelConfig"] {
    package.targets.append(
      .executableTarget(
        name: name,
        dependencies: ["FuzzDriver", "FuzzHarness"],
        path: "Fuzz/\(name)",
        swiftSettings: fuzzedSettings,
        linkerSettings: [.unsafeFlags(fuzzFlags + ["-use-ld=lld"])]
      )
    )
    package.products.append(.executable(name: name, targets: [name]))
  }
}
