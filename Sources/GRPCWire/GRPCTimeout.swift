/// The `grpc-timeout` request header: 1 to 8 ASCII digits and a unit, `H` hours, `M` minutes, `S` seconds,
/// `m` milliseconds, `u` microseconds, `n` nanoseconds (PROTOCOL-HTTP2, "Timeout").
public enum GRPCTimeout {
  /// The timeout in nanoseconds, `nil` when the value is not of that form (the call is then refused).
  public static func nanoseconds(_ value: some StringProtocol) -> Int64? {
    let utf8 = Array(value.utf8)
    guard utf8.count >= 2, utf8.count <= 9 else { return nil }
    var amount: Int64 = 0
    for byte in utf8.dropLast() {
      guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
      amount = amount * 10 + Int64(byte - UInt8(ascii: "0"))
    }
    let unit: Int64
    switch utf8.last! {
    case UInt8(ascii: "H"): unit = 3_600_000_000_000
    case UInt8(ascii: "M"): unit = 60_000_000_000
    case UInt8(ascii: "S"): unit = 1_000_000_000
    case UInt8(ascii: "m"): unit = 1_000_000
    case UInt8(ascii: "u"): unit = 1_000
    case UInt8(ascii: "n"): unit = 1
    default: return nil
    }
    let (nanos, overflow) = amount.multipliedReportingOverflow(by: unit)
    return overflow ? Int64.max : nanos
  }

  /// The header value for a timeout: the finest unit that holds it in 8 digits, rounded up so the server
  /// never sees a shorter deadline than the client's.
  public static func headerValue(nanoseconds: Int64) -> String {
    let nanos = max(nanoseconds, 1)
    let units: [(Character, Int64)] = [
      ("n", 1), ("u", 1_000), ("m", 1_000_000), ("S", 1_000_000_000), ("M", 60_000_000_000), ("H", 3_600_000_000_000),
    ]
    for (unit, size) in units {
      let amount = (nanos + size - 1) / size
      if amount <= 99_999_999 { return "\(amount)\(unit)" }
    }
    return "99999999H"
  }
}
