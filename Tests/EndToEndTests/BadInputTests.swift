import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import InferenceRuntime
import InferenceServer
import KServeGRPC
import SwiftProtobuf
import Testing

/// Every malformed request gets the right status and a message naming the fault, over the real socket,
/// and the next valid request still succeeds.
@Suite(.serialized, .timeLimit(.minutes(5))) struct BadInputTests {
  struct Case: Sendable, CustomStringConvertible {
    let description: String
    let code: RPCError.Code
    let fragment: String
    let mutate: @Sendable (inout Inference_ModelInferRequest) -> Void
  }

  static let cases: [Case] = [
    Case(description: "unknown model", code: .notFound, fragment: "did you mean 'add_sub'") {
      $0.modelName = "add_sbu"
    },
    Case(description: "unknown version", code: .notFound, fragment: "available versions: 1") { $0.modelVersion = "3" },
    Case(description: "model not ready", code: .unavailable, fragment: "no ready version") { $0.modelName = "broken" },
    Case(description: "missing input", code: .invalidArgument, fragment: "missing input 'INPUT1'") { r in
      r.inputs.removeLast()
      r.rawInputContents.removeLast()
    },
    Case(description: "unknown input", code: .invalidArgument, fragment: "unknown input 'INPUT7'") { r in
      r.inputs[1].name = "INPUT7"
    },
    Case(description: "unknown output", code: .invalidArgument, fragment: "unknown requested output 'OUTPUT9'") { r in
      var o = Inference_ModelInferRequest.InferRequestedOutputTensor()
      o.name = "OUTPUT9"
      r.outputs = [o]
    },
    Case(description: "wrong datatype", code: .invalidArgument, fragment: "expects FP32") { r in
      r.inputs[0].datatype = "INT32"
    },
    Case(description: "unknown datatype", code: .invalidArgument, fragment: "unknown datatype 'FLOAT'") { r in
      r.inputs[0].datatype = "FLOAT"
    },
    Case(description: "shape disagrees with config", code: .invalidArgument, fragment: "expects [batch,16]") { r in
      r.inputs[0].shape = [1, 15]
      r.rawInputContents[0] = Data(count: 60)
    },
    Case(description: "shape disagrees with data", code: .invalidArgument, fragment: "needs 128 bytes") { r in
      r.inputs[0].shape = [2, 16]
      r.inputs[1].shape = [2, 16]
    },
    Case(description: "raw length disagrees", code: .invalidArgument, fragment: "has 63 bytes of data") { r in
      r.rawInputContents[0] = Data(count: 63)
    },
    Case(description: "contents and raw", code: .invalidArgument, fragment: "send all inputs one way") { r in
      r.inputs[0].contents.fp32Contents = Array(repeating: 1, count: 16)
    },
    Case(description: "raw count", code: .invalidArgument, fragment: "one raw entry per input") { r in
      r.rawInputContents.append(Data(count: 4))
    },
    Case(description: "batch above max", code: .invalidArgument, fragment: "outside 1...8") { r in
      r = Requests.addSub(rows: 9)
    },
    Case(description: "empty model name", code: .invalidArgument, fragment: "names no model") { $0.modelName = "" },
    Case(description: "empty input name", code: .invalidArgument, fragment: "empty name") { $0.inputs[0].name = "" },
    Case(description: "FP16 in typed contents", code: .invalidArgument, fragment: "no typed contents field") { r in
      r = Inference_ModelInferRequest()
      r.modelName = "identity_fp16"
      r.inputs = [Requests.tensor("INPUT0", "FP16", [1, 1])]
      r.inputs[0].contents.fp32Contents = [1]
    },
    Case(description: "too large", code: .resourceExhausted, fragment: "above this server's limit") { r in
      r = Inference_ModelInferRequest()
      r.modelName = "heavy_mlp"
      r.inputs = [Requests.tensor("x", "FP32", [2048, 256])]
      r.rawInputContents = [Data(count: 2048 * 256 * 4)]
    },
  ]

  static func brokenRepository() throws -> URL {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-broken-\(UUID().uuidString)")
    let version = root.appendingPathComponent("broken/1")
    try FileManager.default.createDirectory(at: version, withIntermediateDirectories: true)
    try Data("not onnx".utf8).write(to: version.appendingPathComponent("model.onnx"))
    let syntax = root.appendingPathComponent("bad_config/1")
    try FileManager.default.createDirectory(at: syntax, withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      at: TestServer.exampleModels.appendingPathComponent("add_sub/1/model.onnx"),
      to: syntax.appendingPathComponent("model.onnx"))
    try "backend: \"onnxruntime\"\nmax_batch_size: 8\ninput [ { nme: \"INPUT0\" } ]\n".write(
      to: root.appendingPathComponent("bad_config/config.pbtxt"), atomically: true, encoding: .utf8)
    return root
  }

  @Test func everyBadRequestIsRejectedAndTheServerKeepsServing() async throws {
    let broken = try Self.brokenRepository()
    defer { try? FileManager.default.removeItem(at: broken) }
    try await TestServer.with(
      repositories: [TestServer.exampleModels, broken],
      configure: { $0.runtime.maxRequestBytes = 1 << 20 }
    ) { kserve, _, _, _ in
      for c in Self.cases {
        var request = Requests.addSub()
        c.mutate(&request)
        do {
          _ = try await kserve.modelInfer(request)
          Issue.record("\(c): expected \(c.code), the request succeeded")
        } catch let error as RPCError {
          #expect(error.code == c.code, "\(c): \(error.message)")
          #expect(error.message.contains(c.fragment), "\(c): \(error.message)")
        }
        let ok = try await kserve.modelInfer(Requests.addSub(id: "after \(c)"))
        #expect(ok.id == "after \(c)")
      }
    }
  }

  @Test func brokenModelsAreReportedWithReasons() async throws {
    let broken = try Self.brokenRepository()
    defer { try? FileManager.default.removeItem(at: broken) }
    try await TestServer.with(repositories: [TestServer.exampleModels, broken]) { kserve, _, _, _ in
      #expect(try await kserve.serverReady(Inference_ServerReadyRequest()).ready)
      let index = try await kserve.repositoryIndex(Inference_RepositoryIndexRequest()).models
      let byName = Dictionary(uniqueKeysWithValues: index.map { ($0.name, $0) })
      #expect(byName["broken"]?.state == "UNAVAILABLE")
      #expect(byName["broken"]?.reason.contains("ONNX Runtime cannot load") == true)
      #expect(byName["bad_config"]?.state == "UNAVAILABLE")
      #expect(byName["bad_config"]?.reason.contains("config.pbtxt:3:") == true)
      #expect(byName["ghost_mlp"]?.state == "READY")
      var readyOnly = Inference_RepositoryIndexRequest()
      readyOnly.ready = true
      #expect(try await kserve.repositoryIndex(readyOnly).models.allSatisfy { $0.state == "READY" })
    }
  }

  /// Raw bytes on the wire: a request whose model name is not UTF-8.
  struct RawSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
  }

  @Test func nonUTF8NamesAreRejectedClearly() async throws {
    try await TestServer.with { kserve, raw, _, _ in
      var request = Requests.addSub()
      request.modelName = "QQQQQQQ"
      var bytes: [UInt8] = try request.serializedBytes()
      let marker = Array("QQQQQQQ".utf8)
      let start = try #require(
        (0...(bytes.count - marker.count)).first { Array(bytes[$0..<($0 + marker.count)]) == marker })
      bytes.replaceSubrange(start..<(start + 3), with: [0xFF, 0xFE, 0xC0])
      await #expect {
        try await raw.unary(
          request: ClientRequest(message: bytes),
          descriptor: Inference_GRPCInferenceService.Method.ModelInfer.descriptor,
          serializer: RawSerializer(),
          deserializer: ProtobufDeserializer<Inference_ModelInferResponse>(),
          options: .defaults
        ) { try $0.message }
      } throws: { error in
        (error as? RPCError)?.code == .invalidArgument
          && (error as? RPCError)?.message.contains("not valid UTF-8") == true
      }
      _ = try await kserve.modelInfer(Requests.addSub())
    }
  }

  @Test func defaultRequestLimitIsAtLeast64MiB() {
    #expect(RuntimeConfiguration(repositories: []).maxRequestBytes >= 64 << 20)
  }
}
