internal import CompressNIO
public import NIOCore

/// The message encodings of gRPC's `compression.md` that this server reads and, when asked to, writes:
/// `gzip` (RFC 1952) and `deflate` (zlib format, RFC 1950), as grpc-swift, gRPC C++ and grpcio name them.
public enum GRPCCompression: String, Sendable, CaseIterable {
  case gzip
  case deflate

  /// What the server lists in `grpc-accept-encoding`.
  public static let acceptEncodingValue = "identity,deflate,gzip"

  private var algorithm: CompressionAlgorithm {
    switch self {
    case .gzip: .gzip()
    case .deflate: .zlib()
    }
  }

  /// Inflates one message, up to `limit` bytes.
  /// - Throws: ``GRPCStatus`` RESOURCE_EXHAUSTED above the limit, INTERNAL for data that is not this encoding.
  public func decompress(_ message: ByteBuffer, limit: Int, role: GRPCRole = .server) throws -> ByteBuffer {
    var input = message
    let tooLarge = GRPCStatus(
      .resourceExhausted,
      "the decompressed \(role.incoming) message is larger than \(role.limitOwner) limit of \(limit) bytes; "
        + role.limitHint)
    do {
      // CompressNIO bounds what it allocates, in steps; the exact limit is checked on the result.
      let output = try input.decompress(with: algorithm, maxSize: limit)
      guard output.readableBytes <= limit else { throw tooLarge }
      return output
    } catch let error as CompressNIOError where error == .bufferOverflow {
      throw tooLarge
    } catch let status as GRPCStatus {
      throw status
    } catch {
      throw GRPCStatus(
        .internal, "the \(role.incoming) message is not valid \(rawValue) data (\(error)); check grpc-encoding")
    }
  }

  /// Deflates one message.
  public func compress(_ message: ByteBuffer) throws -> ByteBuffer {
    var input = message
    return try input.compress(with: algorithm)
  }

  /// The first encoding of a `grpc-accept-encoding` list that this server writes, `nil` for none.
  public static func preferred<Name: StringProtocol>(in accepted: [Name]) -> GRPCCompression? {
    for name in accepted {
      let trimmed = String(name.filter { $0 != " " && $0 != "\t" }).lowercased()
      if let encoding = GRPCCompression(rawValue: trimmed) { return encoding }
    }
    return nil
  }
}
