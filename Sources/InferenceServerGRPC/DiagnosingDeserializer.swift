internal import GRPCCore
internal import GRPCProtobuf
internal import SwiftProtobuf

/// Decodes protobuf requests like `ProtobufDeserializer`, but says what is wrong when a request is
/// malformed, e.g. a name that is not UTF-8 (the stock message only names the type).
struct DiagnosingDeserializer<Message: SwiftProtobuf.Message & Sendable>: MessageDeserializer {
  private let inner = ProtobufDeserializer<Message>()

  func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Message {
    do {
      return try inner.deserialize(serializedMessageBytes)
    } catch let error as RPCError {
      let type = Message.protoMessageName
      switch error.cause {
      case BinaryDecodingError.invalidUTF8?:
        throw RPCError(
          code: .invalidArgument,
          message: "\(type): a string field (model name, version, tensor name, datatype or parameter) is not "
            + "valid UTF-8; names must be UTF-8 text",
          cause: error.cause)
      case let cause?:
        throw RPCError(
          code: .invalidArgument, message: "\(type) is not a valid protobuf message (\(cause)); check the client",
          cause: cause)
      case nil:
        throw error
      }
    }
  }
}
