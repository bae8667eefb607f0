public import Foundation
internal import GRPCWire
internal import InferenceRuntime
internal import InferenceServerGRPC
internal import InferenceServerHTTP
internal import KServeGRPC
internal import KServeProtocol
internal import NIOCore
internal import SwiftProtobuf
internal import TritonModelConfig

/// One input through one decoding and validation path of the server, shared by the libFuzzer targets
/// (Fuzz/Fuzz*/main.swift, built by dev/fuzz.sh) and their regression tests (Tests/FuzzRegressionTests).
///
/// A thrown error is the right answer to bad input and is swallowed here; a crash (a Swift trap, a
/// `precondition`, an AddressSanitizer report, running out of memory or time) is a bug.
public enum FuzzHarness {
  /// How far an input got.
  public enum Outcome: Int, Sendable, Comparable {
    /// The decoder refused it (not a protobuf request, not a KServe JSON body, not config text).
    case rejected
    /// Decoded, then refused by request validation (every fixed model) or by config completion.
    case decoded
    /// Accepted by the validator of at least one fixed model, or completed as a config.
    case accepted

    public static func < (lhs: Outcome, rhs: Outcome) -> Bool { lhs.rawValue < rhs.rawValue }
  }

  /// The fuzz targets. The raw value names the executable and the directories of its seed corpus
  /// (Fuzz/Corpus/<name>) and regression inputs (Fuzz/Regressions/<name>).
  public enum Target: String, CaseIterable, Sendable {
    case grpcInferRequest = "FuzzGRPCInferRequest"
    case httpInfer = "FuzzHTTPInfer"
    case modelConfig = "FuzzModelConfig"
    case grpcStream = "FuzzGRPCStream"

    /// Runs one input.
    public func run(_ data: Data) -> Outcome {
      switch self {
      case .grpcInferRequest: FuzzHarness.grpcInferRequest(data)
      case .httpInfer: FuzzHarness.httpInfer(data)
      case .modelConfig: FuzzHarness.modelConfig(data)
      case .grpcStream: FuzzHarness.grpcStream(data)
      }
    }
  }

  /// gRPC: the bytes as a serialized `ModelInferRequest` → `InferenceRequest` (raw or typed contents) →
  /// ``RequestValidator`` of each fixed model.
  public static func grpcInferRequest(_ data: Data) -> Outcome {
    let request: InferenceRequest
    do {
      request = try InferenceRequest(Inference_ModelInferRequest(serializedBytes: data))
    } catch {
      return .rejected
    }
    return validate(request)
  }

  /// gRPC's wire layer: the bytes of a request stream as the server's connection sees them →
  /// ``GRPCMessageDeframer`` (a 64 KiB limit) → decompression where a message says so → ``GRPCMessageCodec``
  /// (`ModelInferRequest`) → `InferenceRequest` → ``RequestValidator`` of each fixed model. The first byte
  /// chooses the call's `grpc-encoding` (bit 0: gzip, bit 1: deflate, else identity) and the DATA frame size
  /// (the upper 6 bits + 1), so messages split across frames at every position.
  public static func grpcStream(_ data: Data) -> Outcome {
    guard let control = data.first else { return .rejected }
    let encoding: GRPCCompression? = control & 1 != 0 ? .gzip : (control & 2 != 0 ? .deflate : nil)
    let frameSize = Int(control >> 2) + 1
    let limit = 64 << 10
    var deframer = GRPCMessageDeframer(maxMessageBytes: limit)
    var stream = ByteBuffer(bytes: data.dropFirst())
    var outcome = Outcome.rejected
    while stream.readableBytes > 0, let frame = stream.readSlice(length: min(frameSize, stream.readableBytes)) {
      deframer.append(frame)
      while true {
        let message: GRPCMessageDeframer.Message?
        do {
          message = try deframer.next()
        } catch {
          return outcome  // the stream ends with that status
        }
        guard var message else { break }
        if message.compressed {
          guard let encoding, let inflated = try? encoding.decompress(message.bytes, limit: limit) else {
            return outcome
          }
          message.bytes = inflated
        }
        guard let decoded = try? GRPCMessageCodec.decode(Inference_ModelInferRequest.self, from: message.bytes),
          let request = try? InferenceRequest(decoded)
        else { continue }
        outcome = max(outcome, validate(request))
      }
    }
    return deframer.hasPartialMessage ? min(outcome, .decoded) : outcome
  }

  /// HTTP/REST: the body of `POST /v2/models/fuzz/infer` → `HTTPInferCodec.decode` (JSON, and Triton's binary
  /// tensor extension) → ``RequestValidator`` of each fixed model. The first byte chooses the
  /// `Inference-Header-Content-Length` (the byte modulo 3):
  /// - 0: none; the rest is the body (pure JSON).
  /// - 1: the next two bytes (little endian) are the header length; the rest is the body.
  /// - 2: the rest up to its first NUL byte is the JSON header, the rest after it the binary part; the NUL is
  ///   dropped (no NUL: all header). This lets the fuzzer grow the JSON without breaking the binary split.
  ///
  /// A decoded request is also echoed as a response through `HTTPInferCodec.encode`: the JSON it writes must
  /// parse again with `JSONValue.parse` (a `precondition`, so a broken encoder shows as a crash).
  public static func httpInfer(_ data: Data) -> Outcome {
    guard let mode = data.first else { return .rejected }
    var rest = [UInt8](data.dropFirst())
    let headerLength: Int?
    switch mode % 3 {
    case 0:
      headerLength = nil
    case 1:
      guard rest.count >= 2 else { return .rejected }
      headerLength = Int(rest[0]) | Int(rest[1]) << 8
      rest.removeFirst(2)
    default:
      if let nul = rest.firstIndex(of: 0) {
        rest.remove(at: nul)
        headerLength = nul
      } else {
        headerLength = rest.count
      }
    }
    let decoded: HTTPInferCodec.Decoded
    do {
      decoded = try HTTPInferCodec.decode(body: Data(rest), headerLength: headerLength, model: "fuzz", version: "")
    } catch {
      return .rejected
    }
    checkResponseEncoding(decoded)
    return validate(decoded.request)
  }

  /// config.pbtxt: the bytes as text (invalid UTF-8 replaced) → `ModelConfigFile` → `ModelConfigCompleter`
  /// (the model file's signature is what the config itself declares, or a fixed one when it declares no
  /// inputs) → what loading a version builds from the completed config: its ``RequestValidator`` (run on a
  /// small request shaped from the config) and its ``BatchingPolicy``.
  public static func modelConfig(_ data: Data) -> Outcome {
    let contents: ModelConfigFile.Contents
    do {
      contents = try ModelConfigFile.contents(ofText: String(decoding: data, as: UTF8.self), path: "fuzz/config.pbtxt")
    } catch {
      return .rejected
    }
    let name = contents.config.name.isEmpty ? "fuzz_model" : contents.config.name
    let backend = FuzzBackend(declared: FuzzBackend.signature(declaredBy: contents.config))
    let completed: ModelConfigCompleter.Completed
    do {
      completed = try ModelConfigCompleter(backends: BackendRegistry([backend])).complete(
        name: name, directory: FuzzModels.directory, contents: contents, versions: FuzzModels.versions)
    } catch {
      return .decoded
    }
    let validator = RequestValidator(config: completed.config, modelDescription: "model '\(name)' version 1")
    if let request = FuzzModels.sampleRequest(for: completed.config) { _ = try? validator.validate(request) }
    _ = BatchingPolicy(config: completed.config, maxTotalQueueSize: 4096)
    return .accepted
  }

  /// Validates against every fixed model (the request's model name is ignored).
  static func validate(_ request: InferenceRequest) -> Outcome {
    var outcome = Outcome.decoded
    for validator in FuzzModels.validators {
      if (try? validator.validate(request)) != nil { outcome = .accepted }
    }
    return outcome
  }

  /// Encodes the decoded inputs as if they were the outputs, with the requested binary/JSON choice; the
  /// encoder may refuse (malformed BYTES) but what it writes must be JSON that the server's parser reads.
  static func checkResponseEncoding(_ decoded: HTTPInferCodec.Decoded) {
    let response = InferenceResponse(
      modelName: "fuzz", modelVersion: "1", id: decoded.request.id, outputs: decoded.request.inputs,
      parameters: decoded.request.parameters)
    guard
      let encoded = try? HTTPInferCodec.encode(
        response, binaryOutputs: decoded.binaryOutputs, defaultBinary: decoded.defaultBinary)
    else { return }
    let header = Data(encoded.body.prefix(encoded.headerLength ?? encoded.body.count))
    do {
      _ = try JSONValue.parse(header)
    } catch {
      let text = String(decoding: header, as: UTF8.self)
      preconditionFailure("HTTPInferCodec.encode wrote JSON that JSONValue.parse rejects (\(error)): \(text)")
    }
  }
}
