import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import InferenceServer
import KServeGRPC
import SwiftProtobuf
import Testing
import TritonModelConfig

@Suite(.serialized, .timeLimit(.minutes(5))) struct GRPCEndToEndTests {
  @Test func healthMetadataAndIndex() async throws {
    try await TestServer.with { kserve, raw, _, _ in
      #expect(try await kserve.serverLive(Inference_ServerLiveRequest()).live)
      #expect(try await kserve.serverReady(Inference_ServerReadyRequest()).ready)
      let metadata = try await kserve.serverMetadata(Inference_ServerMetadataRequest())
      #expect(metadata.name == "offload")
      #expect(metadata.extensions == OffloadServer.extensions)
      var ready = Inference_ModelReadyRequest()
      ready.name = "ghost_mlp"
      #expect(try await kserve.modelReady(ready).ready)
      ready.name = "nope"
      #expect(try await !kserve.modelReady(ready).ready)
      let index = try await kserve.repositoryIndex(Inference_RepositoryIndexRequest())
      #expect(index.models.count >= 19)
      #expect(index.models.allSatisfy { $0.state == "READY" && $0.version == "1" })
      let health = Grpc_Health_V1_Health.Client(wrapping: raw)
      #expect(try await health.check(Grpc_Health_V1_HealthCheckRequest()).status == .serving)
    }
  }

  @Test func inferEchoesIdAndHonoursOutputSubsets() async throws {
    try await TestServer.with { kserve, _, _, _ in
      var request = Requests.addSub(rows: 2, id: "req-42")
      let both = try await kserve.modelInfer(request)
      #expect(both.id == "req-42")
      #expect(both.modelVersion == "1")
      #expect(both.outputs.map(\.name) == ["OUTPUT0", "OUTPUT1"])
      let a = Requests.decodeFloats(request.rawInputContents[0])
      #expect(Requests.decodeFloats(both.rawOutputContents[0]) == a.map { $0 * 3 })
      #expect(Requests.decodeFloats(both.rawOutputContents[1]) == a.map { -$0 })
      var only = Inference_ModelInferRequest.InferRequestedOutputTensor()
      only.name = "OUTPUT1"
      request.outputs = [only]
      let subset = try await kserve.modelInfer(request)
      #expect(subset.outputs.map(\.name) == ["OUTPUT1"])
      #expect(subset.rawOutputContents.count == 1)
    }
  }

  @Test func typedContentsAreAccepted() async throws {
    try await TestServer.with { kserve, _, _, _ in
      var request = Inference_ModelInferRequest()
      request.modelName = "identity_int16"
      var input = Requests.tensor("INPUT0", "INT16", [1, 3])
      input.contents.intContents = [-32768, 0, 32767]
      request.inputs = [input]
      let response = try await kserve.modelInfer(request)
      let values = response.rawOutputContents[0].withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
      #expect(values == [-32768, 0, 32767])
      input.contents.intContents = [40000, 0, 0]
      request.inputs = [input]
      await #expect(throws: RPCError.self) { _ = try await kserve.modelInfer(request) }
    }
  }

  @Test func streamInferAnswersEachRequestAndSurvivesErrors() async throws {
    try await TestServer.with { kserve, _, _, _ in
      let replies = try await kserve.modelStreamInfer(
        requestProducer: { writer in
          try await writer.write(Requests.addSub(id: "s1"))
          var bad = Requests.addSub(id: "s2")
          bad.modelName = "add_subb"
          try await writer.write(bad)
          try await writer.write(Requests.addSub(id: "s3"))
        },
        onResponse: { response in
          var collected: [Inference_ModelStreamInferResponse] = []
          for try await message in response.messages { collected.append(message) }
          return collected
        })
      #expect(replies.map(\.inferResponse.id) == ["s1", "s2", "s3"])
      #expect(replies[0].errorMessage.isEmpty)
      #expect(replies[1].errorMessage.contains("did you mean 'add_sub'"))
      #expect(replies[2].inferResponse.rawOutputContents.count == 2)
    }
  }

  @Test func statisticsCountRequests() async throws {
    try await TestServer.with { kserve, _, _, _ in
      for rows in [1, 4, 4] as [Int64] { _ = try await kserve.modelInfer(Requests.ghost(rows: rows)) }
      var request = Inference_ModelStatisticsRequest()
      request.name = "ghost_mlp"
      let stats = try #require(try await kserve.modelStatistics(request).modelStats.first)
      #expect(stats.inferenceCount == 9)
      #expect(stats.executionCount == 3)
      #expect(stats.inferenceStats.success.count == 3)
      #expect(stats.batchStats.map(\.batchSize) == [1, 4])
      let parts =
        stats.inferenceStats.queue.ns + stats.inferenceStats.computeInput.ns
        + stats.inferenceStats.computeInfer.ns + stats.inferenceStats.computeOutput.ns
      #expect(parts <= stats.inferenceStats.success.ns)
      #expect(stats.inferenceStats.computeInfer.ns > 0)
    }
  }

  @Test func repositoryLoadUnloadAndConfigOverride() async throws {
    try await TestServer.with { kserve, _, _, _ in
      var unload = Inference_RepositoryModelUnloadRequest()
      unload.modelName = "add_sub"
      _ = try await kserve.repositoryModelUnload(unload)
      await #expect {
        _ = try await kserve.modelInfer(Requests.addSub())
      } throws: { ($0 as? RPCError)?.code == .unavailable }
      var load = Inference_RepositoryModelLoadRequest()
      load.modelName = "add_sub"
      var config = Inference_ModelRepositoryParameter()
      config.stringParam = #"{"backend": "onnxruntime", "max_batch_size": 2}"#
      load.parameters["config"] = config
      _ = try await kserve.repositoryModelLoad(load)
      var configRequest = Inference_ModelConfigRequest()
      configRequest.name = "add_sub"
      #expect(try await kserve.modelConfig(configRequest).config.maxBatchSize == 2)
      _ = try await kserve.modelInfer(Requests.addSub(rows: 2))
    }
  }

  @Test func disabledSharedMemoryAndFixedSettingsAnswerByName() async throws {
    try await TestServer.with { kserve, _, _, _ in
      await #expect {
        _ = try await kserve.systemSharedMemoryStatus(Inference_SystemSharedMemoryStatusRequest())
      } throws: { error in
        (error as? RPCError)?.code == .failedPrecondition
          && (error as? RPCError)?.message.contains("--allow-client-shm") == true
      }
      // A request naming a region is refused the same way, and the server keeps serving.
      var request = Requests.addSub(rows: 1)
      var region = Inference_InferParameter()
      region.stringParam = "r"
      request.inputs[0].parameters["shared_memory_region"] = region
      request.rawInputContents.removeFirst()
      await #expect {
        _ = try await kserve.modelInfer(request)
      } throws: { error in
        (error as? RPCError)?.code == .failedPrecondition
      }
      _ = try await kserve.modelInfer(Requests.addSub(rows: 1))
      await #expect {
        _ = try await kserve.cudaSharedMemoryStatus(Inference_CudaSharedMemoryStatusRequest())
      } throws: { error in
        (error as? RPCError)?.code == .unimplemented && (error as? RPCError)?.message.contains("no GPU") == true
      }
      let trace = try await kserve.traceSetting(Inference_TraceSettingRequest())
      #expect(trace.settings["trace_level"]?.value == ["OFF"])
      let log = try await kserve.logSettings(Inference_LogSettingsRequest())
      // The test server logs at .critical only (TestServer), which the settings must reflect.
      #expect(log.settings["log_error"]?.boolParam == false)
      #expect(log.settings["log_verbose_level"]?.uint32Param == 0)
      #expect(log.settings["log_file"]?.stringParam == "")
    }
  }
}

@Suite(.serialized, .timeLimit(.minutes(5))) struct TimingParameterTests {
  @Test func timingsAppearOnlyWhenAskedFor() async throws {
    try await TestServer.with { kserve, _, _, _ in
      var request = Requests.ghost(rows: 4)
      #expect(try await kserve.modelInfer(request).parameters.isEmpty)
      var ask = Inference_InferParameter()
      ask.boolParam = true
      request.parameters["offload_timing"] = ask
      let parameters = try await kserve.modelInfer(request).parameters
      for key in [
        "offload_queue_ns", "offload_compute_input_ns", "offload_compute_infer_ns", "offload_compute_output_ns",
        "offload_batch_size", "offload_queue_depth",
      ] {
        #expect(parameters[key] != nil, "\(key) missing")
      }
      #expect(parameters["offload_batch_size"]?.int64Param == 4)
      #expect((parameters["offload_compute_infer_ns"]?.int64Param ?? 0) > 0)
      #expect(parameters["offload_queue_depth"]?.int64Param == 0)

      // "queue": the queue time alone (what the client's power-of-two-choices balancer asks for).
      ask.stringParam = "queue"
      request.parameters["offload_timing"] = ask
      let queueOnly = try await kserve.modelInfer(request).parameters
      #expect(Set(queueOnly.keys) == ["offload_queue_ns"])
      #expect((queueOnly["offload_queue_ns"]?.int64Param ?? -1) >= 0)
    }
  }
}
