internal import ArgumentParser

/// The `offload` executable.
@main
struct OffloadCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "offload",
    abstract: "Machine-learning inference as a service for high-energy physics.",
    subcommands: [
      ServeCommand.self, InferCommand.self, HealthCommand.self, MetadataCommand.self, BenchCommand.self,
      EventsCommand.self,
    ],
    defaultSubcommand: nil)
}
