internal import ArgumentParser
internal import Foundation
internal import KServeGRPC
internal import OffloadClient

/// `offload health`: liveness, readiness and ready models of each server.
struct HealthCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "health", abstract: "Check servers: live, ready, and which models are ready (exit 1 if any is not).")

  @OptionGroup var client: ClientOptions

  @Option(name: [.customShort("m"), .customLong("model")], help: "Also check that this model is ready (repeatable).")
  var models: [String] = []

  func run() async throws {
    let discovery = try client.discovery()
    let (endpoints, failures) = await discovery.resolve()
    for (name, reason) in failures { print("\(name): cannot resolve (\(reason))") }
    var healthy = failures.isEmpty && !endpoints.isEmpty
    let options = try client.connectionOptions()
    let timeout = client.timeout ?? .seconds(5)
    for endpoint in endpoints {
      do {
        let line = try await InferenceConnection.withConnection(to: endpoint, options: options) { c -> (String, Bool) in
          let live = try await c.serverLive(timeout: timeout)
          let ready = try await c.serverReady(timeout: timeout)
          let index = try await c.repositoryIndex(timeout: timeout)
          let readyModels = index.filter { $0.state == "READY" }.map {
            $0.version.isEmpty ? $0.name : "\($0.name)/\($0.version)"
          }
          var ok = live && ready
          var text = "\(endpoint): live=\(live) ready=\(ready) models_ready=\(readyModels.count)/\(index.count)"
          for model in models {
            let modelReady = try await c.modelReady(model, timeout: timeout)
            ok = ok && modelReady
            text += " \(model)=\(modelReady ? "READY" : "NOT READY")"
          }
          let failed = index.filter { $0.state != "READY" }
          for entry in failed { text += "\n  \(entry.name) \(entry.version): \(entry.state) \(entry.reason)" }
          return (text, ok)
        }
        print(line.0)
        healthy = healthy && line.1
      } catch {
        print("\(endpoint): unreachable (\(error))")
        healthy = false
      }
    }
    if !healthy { throw ExitCode(1) }
  }
}
