internal import ArgumentParser
internal import KServeGRPC
internal import OffloadClient
internal import SwiftProtobuf

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// `offload metadata`: server metadata, or a model's metadata and configuration.
struct MetadataCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "metadata", abstract: "Print server metadata, or a model's metadata (and --config) as JSON.")

  @OptionGroup var client: ClientOptions

  @Option(name: [.customShort("m"), .customLong("model")], help: "Model name (none: server metadata).")
  var model: String?

  @Option(name: [.customShort("x"), .customLong("model-version")], help: "Model version (default: the server's).")
  var version: String = ""

  @Flag(help: "Also print the model's completed configuration.")
  var config = false

  func validate() throws {
    guard client.protocolName == "grpc" else {
      throw ValidationError(
        "offload metadata prints the gRPC messages: use -i grpc (HTTP servers: curl /v2/models/NAME)")
    }
  }

  func run() async throws {
    let discovery = try client.discovery()
    let (endpoints, _) = await discovery.resolve()
    guard let endpoint = endpoints.first else { throw ValidationError("no server to ask; give -u HOST:PORT") }
    let options = JSONEncodingOptions()
    let text = try await InferenceConnection.withConnection(to: endpoint, options: try client.connectionOptions()) {
      c -> String in
      guard let model else { return try await c.serverMetadata(timeout: client.timeout).jsonString(options: options) }
      var text = try await c.modelMetadata(model, version: version, timeout: client.timeout).jsonString(
        options: options)
      if config {
        text +=
          "\n"
          + (try await c.modelConfig(model, version: version, timeout: client.timeout).jsonString(options: options))
      }
      return text
    }
    print(text)
  }
}
