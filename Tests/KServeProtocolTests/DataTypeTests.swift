import KServeProtocol
import Testing

@Suite(.timeLimit(.minutes(1))) struct DataTypeTests {
  @Test(arguments: DataType.allCases)
  func wireAndConfigNamesParse(_ type: DataType) {
    #expect(DataType(wireOrConfigName: type.rawValue) == type)
    let configName = type == .bytes ? "TYPE_STRING" : "TYPE_\(type.rawValue)"
    #expect(DataType(wireOrConfigName: configName) == type)
  }

  @Test func elementSizes() {
    #expect(DataType.bool.elementSize == 1)
    #expect(DataType.bf16.elementSize == 2)
    #expect(DataType.fp32.elementSize == 4)
    #expect(DataType.uint64.elementSize == 8)
    #expect(DataType.bytes.elementSize == nil)
    #expect(DataType(wireOrConfigName: "FLOAT") == nil)
  }

  @Test func elementCountRejectsNegativeAndOverflow() {
    #expect(TensorShape.elementCount([2, 3, 4]) == 24)
    #expect(TensorShape.elementCount([]) == 1)
    #expect(TensorShape.elementCount([2, -1]) == nil)
    #expect(TensorShape.elementCount([Int64.max, 4]) == nil)
  }
}
