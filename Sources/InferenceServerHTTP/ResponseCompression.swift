internal import CompressNIO
internal import KServeProtocol

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// Which compression a client accepts for the answer (`Accept-Encoding`, RFC 9110 §12.5.3): gzip preferred,
/// then deflate, each unless its weight is 0 (`q=0`, `q=0.0`, `q=0.000`); `*` stands for both; weights
/// other than 0 do not reorder the two.
enum ResponseCompression {
  static func choose(acceptEncoding: String?) -> (name: String, algorithm: CompressionAlgorithm)? {
    guard let acceptEncoding else { return nil }
    var weights: [String: Double] = [:]
    for item in acceptEncoding.lowercased().split(separator: ",") {
      let parts = item.split(separator: ";").map { $0.trimmingWhitespace() }
      guard let coding = parts.first, !coding.isEmpty else { continue }
      var weight = 1.0
      for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
        weight = Double(parameter.dropFirst(2)) ?? 0
      }
      weights[coding] = weight
    }
    func accepts(_ coding: String) -> Bool {
      if let weight = weights[coding] { return weight > 0 }
      return (weights["*"] ?? 0) > 0
    }
    if accepts("gzip") { return ("gzip", .gzip()) }
    if accepts("deflate") { return ("deflate", .zlib()) }
    return nil
  }
}
