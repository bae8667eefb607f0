public import NIOCore
public import SwiftProtobuf

/// Protobuf messages to and from `ByteBuffer`s without intermediate arrays: decoding reads the buffer's
/// bytes in place; encoding serializes straight into a buffer that already has room for the 5-byte gRPC
/// message prefix, so a response goes out as one DATA payload with no further copy.
public enum GRPCMessageCodec {
  /// Decodes a message (a server's request, a client's response).
  /// - Throws: ``GRPCStatus`` INVALID_ARGUMENT (INTERNAL for a client) that says what is wrong (e.g. a name
  ///   that is not UTF-8).
  public static func decode<M: SwiftProtobuf.Message>(
    _ type: M.Type, from bytes: ByteBuffer, role: GRPCRole = .server
  ) throws -> M {
    do {
      return try M(serializedBytes: ProtobufByteBuffer(bytes))
    } catch BinaryDecodingError.invalidUTF8 {
      throw GRPCStatus(
        role == .server ? .invalidArgument : .internal,
        "\(M.protoMessageName): a string field (model name, version, tensor name, datatype or parameter) is not "
          + "valid UTF-8; names must be UTF-8 text")
    } catch {
      throw GRPCStatus(
        role == .server ? .invalidArgument : .internal,
        "\(M.protoMessageName) is not a valid protobuf message (\(error)); check the \(role == .server ? "client" : "server")"
      )
    }
  }

  /// Serializes a message after an unwritten 5-byte prefix: the buffer's readable bytes start at the
  /// message, and ``GRPCMessageFramer/frame(_:compressed:)`` fills the prefix in place.
  public static func encode(_ message: some SwiftProtobuf.Message) throws -> ByteBuffer {
    let serialized: ProtobufByteBuffer = try message.serializedBytes()
    return serialized.buffer
  }
}

/// A `ByteBuffer` as swift-protobuf's bag of bytes. Created for output, it reserves
/// ``GRPCMessageFramer/prefixLength`` bytes in front of the message.
struct ProtobufByteBuffer: SwiftProtobufContiguousBytes {
  var buffer: ByteBuffer

  init(_ buffer: ByteBuffer) { self.buffer = buffer }

  init(repeating: UInt8, count: Int) {
    var buffer = ByteBufferAllocator().buffer(capacity: count + GRPCMessageFramer.prefixLength)
    buffer.writeRepeatingByte(0, count: GRPCMessageFramer.prefixLength)
    buffer.writeRepeatingByte(repeating, count: count)
    buffer.moveReaderIndex(forwardBy: GRPCMessageFramer.prefixLength)
    self.buffer = buffer
  }

  init<S: Sequence>(_ sequence: S) where S.Element == UInt8 {
    var buffer = ByteBufferAllocator().buffer(capacity: GRPCMessageFramer.prefixLength)
    buffer.writeRepeatingByte(0, count: GRPCMessageFramer.prefixLength)
    buffer.writeBytes(sequence)
    buffer.moveReaderIndex(forwardBy: GRPCMessageFramer.prefixLength)
    self.buffer = buffer
  }

  var count: Int { buffer.readableBytes }

  func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try buffer.withUnsafeReadableBytes(body)
  }

  mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
    try buffer.withUnsafeMutableReadableBytes(body)
  }
}

/// Writes gRPC message prefixes, compressing where the call negotiated it.
public enum GRPCMessageFramer {
  /// The prefix: a compressed flag and a 4-byte big-endian length.
  public static let prefixLength = 5

  /// Completes a message from ``GRPCMessageCodec/encode(_:)``: its prefix is written into the reserved
  /// bytes in front of it, so the result is the whole length-prefixed message. A buffer without reserved
  /// room gets a new one.
  public static func frame(_ message: ByteBuffer, compressed: Bool = false) -> ByteBuffer {
    var message = message
    let length = message.readableBytes
    if message.readerIndex >= prefixLength {
      let start = message.readerIndex - prefixLength
      message.setInteger(UInt8(compressed ? 1 : 0), at: start)
      message.setInteger(UInt32(length), at: start + 1, endianness: .big)
      message.moveReaderIndex(to: start)
      return message
    }
    var framed = ByteBufferAllocator().buffer(capacity: prefixLength + length)
    framed.writeInteger(UInt8(compressed ? 1 : 0))
    framed.writeInteger(UInt32(length), endianness: .big)
    framed.writeBuffer(&message)
    return framed
  }
}
