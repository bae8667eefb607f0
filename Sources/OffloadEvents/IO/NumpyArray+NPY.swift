// The NPY file format (numpy's `.npy`): writing version 1.0, reading 1.0, 2.0 and 3.0.

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension NumpyArray {
  /// The six bytes every NPY file starts with.
  static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY
  /// The header is padded so the data starts at a multiple of this (numpy's ARRAY_ALIGN).
  static let alignment = 64
  /// numpy leaves room for the first dimension to grow to this many digits.
  static let growthAxisDigits = 21

  /// This array as an NPY file: the format version 1.0 preamble, the header
  /// `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 17), }` padded with spaces and
  /// ended by `\n` so the data starts 64-byte aligned, then the raw data.
  ///
  /// The bytes are those `numpy.save` writes for the same array (including numpy's
  /// spare spaces for growing the first dimension). Version 2.0 (4-byte header length)
  /// is used only if the header would not fit version 1.0's 65 535 bytes.
  public func npyBytes() -> Data {
    var header = Self.headerText(dtype: dtype, shape: shape)
    let newline = 1
    var prefixLength = Self.magic.count + 2 + 2
    var major: UInt8 = 1
    if header.utf8.count + newline + Self.alignment > Int(UInt16.max) {
      major = 2
      prefixLength = Self.magic.count + 2 + 4
    }
    let padding = Self.alignment - (prefixLength + header.utf8.count + newline) % Self.alignment
    header += String(repeating: " ", count: padding) + "\n"
    let headerLength = header.utf8.count

    var out = Data(capacity: prefixLength + headerLength + data.count)
    out.append(contentsOf: Self.magic)
    out.append(contentsOf: [major, 0])
    if major == 1 {
      out.append(contentsOf: [UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)])
    } else {
      out.append(contentsOf: (0..<4).map { UInt8((headerLength >> (8 * $0)) & 0xFF) })
    }
    out.append(contentsOf: header.utf8)
    out.append(data)
    return out
  }

  /// The header dict as numpy writes it, before padding.
  static func headerText(dtype: NumpyDType, shape: [Int]) -> String {
    let dimensions = shape.map(String.init)
    let shapeText =
      switch dimensions.count {
      case 0: "()"
      case 1: "(\(dimensions[0]),)"
      default: "(" + dimensions.joined(separator: ", ") + ")"
      }
    var header = "{'descr': '\(dtype.rawValue)', 'fortran_order': False, 'shape': \(shapeText), }"
    if let first = dimensions.first {
      header += String(repeating: " ", count: max(0, growthAxisDigits - first.count))
    }
    return header
  }

  /// Parses an NPY file: format version 1.0, 2.0 or 3.0, C order, a little-endian dtype
  /// of `NumpyDType`, and exactly the data the header's shape asks for. Throws a
  /// `NumpyFormatError` naming what is wrong.
  public init(npy bytes: Data) throws(NumpyFormatError) {
    let bytes = Data(bytes)  // index from 0 whatever slice was passed
    guard bytes.count >= Self.magic.count + 2 else {
      throw bytes.starts(with: Self.magic.prefix(bytes.count)) && !bytes.isEmpty ? .truncatedHeader : .notNPY
    }
    guard bytes.starts(with: Self.magic) else { throw .notNPY }
    let major = bytes[6]
    let minor = bytes[7]
    let lengthBytes: Int
    switch (major, minor) {
    case (1, 0): lengthBytes = 2
    case (2, 0), (3, 0): lengthBytes = 4
    default: throw .unsupportedVersion(major: major, minor: minor)
    }
    let headerStart = 8 + lengthBytes
    guard bytes.count >= headerStart else { throw .truncatedHeader }
    var headerLength = 0
    for k in 0..<lengthBytes { headerLength |= Int(bytes[8 + k]) << (8 * k) }
    guard bytes.count - headerStart >= headerLength else { throw .truncatedHeader }
    let headerBytes = bytes[headerStart..<headerStart + headerLength]
    let header: String
    if major == 3 {
      guard let text = String(bytes: headerBytes, encoding: .utf8) else {
        throw .malformedHeader("header is not UTF-8")
      }
      header = text
    } else {
      guard headerBytes.allSatisfy({ $0 < 0x80 }) else { throw .malformedHeader("header is not ASCII") }
      header = String(decoding: headerBytes, as: UTF8.self)
    }
    let fields = try NumpyHeader.parse(header)
    guard let dtype = NumpyDType(descr: fields.descr) else { throw .unsupportedDescr(fields.descr) }
    guard !fields.fortranOrder else { throw .fortranOrder }
    try self.init(dtype: dtype, shape: fields.shape, data: bytes[(headerStart + headerLength)...])
  }
}
