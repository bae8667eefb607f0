internal import ArgumentParser
internal import KServeGRPC
internal import OffloadClient

/// `offload health`: liveness, readiness and ready models of each server (gRPC or HTTP).
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
      let transport = try makeTransport(to: endpoint, options: options)
      do {
        let (line, ok) = try await withThrowingTaskGroup(of: Void.self) { group -> (String, Bool) in
          group.addTask { try await transport.run() }
          defer { transport.close() }
          let live = try await transport.serverLive(timeout: timeout)
          let ready = try await transport.serverReady(timeout: timeout)
          let readyModels = try await transport.readyModels(timeout: timeout)
          var ok = live && ready
          var text =
            "\(endpoint) (\(options.transportProtocol.rawValue)): live=\(live) ready=\(ready) "
            + "models_ready=\(readyModels.count)"
          for model in models {
            let modelReady = try await transport.modelReady(model, version: "", timeout: timeout)
            ok = ok && modelReady
            text += " \(model)=\(modelReady ? "READY" : "NOT READY")"
          }
          if let grpc = transport as? InferenceConnection {
            for entry in try await grpc.repositoryIndex(timeout: timeout) where entry.state != "READY" {
              text += "\n  \(entry.name) \(entry.version): \(entry.state) \(entry.reason)"
            }
          }
          return (text, ok)
        }
        print(line)
        healthy = healthy && ok
      } catch {
        print("\(endpoint): unreachable (\(error))")
        healthy = false
      }
    }
    if !healthy { throw ExitCode(1) }
  }
}
