import InferenceRuntime
import InferenceServerGRPC
import Testing

/// Every gRPC method of the two services belongs to the protocol group Triton puts it in.
@Suite(.timeLimit(.minutes(1))) struct ProtocolGroupGRPCTests {
  @Test func everyGRPCMethodBelongsToTheRightGroup() {
    let expected: [String: ProtocolGroup] = [
      "ServerLive": .health, "ServerReady": .health, "ModelReady": .health, "ServerMetadata": .metadata,
      "ModelMetadata": .metadata, "ModelInfer": .inference, "ModelStreamInfer": .inference,
      "ModelConfig": .modelConfig, "ModelStatistics": .statistics, "RepositoryIndex": .modelRepository,
      "RepositoryModelLoad": .modelRepository, "RepositoryModelUnload": .modelRepository,
      "SystemSharedMemoryStatus": .sharedMemory, "SystemSharedMemoryRegister": .sharedMemory,
      "SystemSharedMemoryUnregister": .sharedMemory, "CudaSharedMemoryStatus": .sharedMemory,
      "CudaSharedMemoryRegister": .sharedMemory, "CudaSharedMemoryUnregister": .sharedMemory,
      "TraceSetting": .trace, "LogSettings": .logging,
    ]
    for (method, group) in expected {
      #expect(ProtocolGroup.grpc(service: "inference.GRPCInferenceService", method: method) == group, "\(method)")
    }
    #expect(ProtocolGroup.grpc(service: "grpc.health.v1.Health", method: "Check") == .health)
    #expect(ProtocolGroup.grpc(service: "inference.GRPCInferenceService", method: "Nope") == nil)
    #expect(ProtocolGroup.grpc(service: "other.Service", method: "ModelInfer") == nil)
  }
}
