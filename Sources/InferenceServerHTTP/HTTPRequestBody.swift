internal import CompressNIO
internal import HTTPTypes
internal import Hummingbird
internal import KServeProtocol
internal import NIOCore

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Reading request bodies: the size limit (413 beyond it), `Content-Encoding` (gzip and deflate, decompressed
/// within the same limit), and JSON bodies decoded into the route's request type with errors that name the
/// field at fault.
enum HTTPRequestBody {
  /// The whole body, up to `limit` bytes, decompressed when its `Content-Encoding` is gzip or deflate.
  /// - Throws: ``InferenceError``: resource exhausted beyond the limit; invalid argument for an unknown
  ///   encoding or data that is not what its encoding says.
  static func collect(_ request: Request, limit: Int) async throws -> Data {
    let tooLarge = InferenceError(
      .resourceExhausted,
      "the request body is larger than the server's limit of \(limit) bytes; send a smaller batch or raise "
        + "--http-max-body-size")
    var buffer: ByteBuffer
    do {
      buffer = try await request.body.collect(upTo: limit)
    } catch let error as HTTPError where error.status == .contentTooLarge {
      throw tooLarge
    } catch is NIOTooManyBytesError {
      throw tooLarge
    }
    let encoding = request.headers[.contentEncoding]?.lowercased().trimmingWhitespace() ?? ""
    let algorithm: CompressionAlgorithm
    switch encoding {
    case "", "identity": return Data(buffer.readableBytesView)
    case "gzip", "x-gzip": algorithm = .gzip()
    case "deflate": algorithm = .zlib()
    default:
      throw InferenceError(
        .invalidArgument, "Content-Encoding '\(encoding)' is not supported; send the body as is, gzip or deflate")
    }
    do {
      buffer = try buffer.decompress(with: algorithm, maxSize: limit)
    } catch let error as CompressNIOError where error == .bufferOverflow {
      throw InferenceError(
        .resourceExhausted,
        "the decompressed request body is larger than the server's limit of \(limit) bytes; send a smaller batch")
    } catch {
      throw InferenceError(
        .invalidArgument, "the request body is not valid \(encoding) data (\(error)); check Content-Encoding")
    }
    return Data(buffer.readableBytesView)
  }

  /// The body as `T` (an empty body reads as `{}`).
  /// - Parameter what: The operation, for error messages ("registering shared memory region 'r'").
  /// - Throws: ``InferenceError`` (invalid argument) naming the field that is missing or of the wrong type.
  static func decode<T: Decodable>(
    _ type: T.Type, from request: Request, limit: Int, what: String
  ) async throws -> T {
    let data = try await collect(request, limit: limit)
    do {
      return try JSONDecoder().decode(T.self, from: data.isEmpty ? Data("{}".utf8) : data)
    } catch let error as DecodingError {
      throw InferenceError(.invalidArgument, "\(what): \(describe(error))")
    }
  }

  /// What a decoding error means, naming the field by its JSON path.
  static func describe(_ error: DecodingError) -> String {
    func path(_ keys: [any CodingKey]) -> String {
      keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
    switch error {
    case .keyNotFound(let key, let context):
      return "the body needs '\(path(context.codingPath + [key]))'"
    case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
      return context.codingPath.isEmpty
        ? "the request body must be a JSON object"
        : "'\(path(context.codingPath))' must be \(expectation(type))"
    case .dataCorrupted(let context):
      return context.codingPath.isEmpty
        ? "the request body is not valid JSON (\(context.debugDescription))"
        : "'\(path(context.codingPath))' is not valid: \(context.debugDescription)"
    @unknown default:
      return "the request body cannot be read: \(error)"
    }
  }

  private static func expectation(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a string"
    case is Bool.Type: "true or false"
    case is UInt64.Type, is UInt.Type: "a non-negative integer"
    case is Int.Type, is Int64.Type: "an integer"
    default: "a value of type \(type)"
    }
  }
}
