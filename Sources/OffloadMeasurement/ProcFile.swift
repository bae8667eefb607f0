#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Linux's process and system files (`/proc`, proc(5)) and the constants their numbers are counted in.
public enum ProcFile {
  /// The text of a /proc file, or `nil` when it cannot be read (not Linux, no such process).
  public static func text(_ path: String) -> String? {
    try? String(contentsOfFile: path, encoding: .utf8)
  }

  /// Bytes in a memory page (`/proc/<pid>/statm` counts pages).
  public static var pageSize: Double { Double(sysconf(Int32(_SC_PAGESIZE))) }

  /// Clock ticks in a second (`/proc/<pid>/stat` counts CPU time in ticks).
  public static var clockTicksPerSecond: Double { Double(sysconf(Int32(_SC_CLK_TCK))) }
}
