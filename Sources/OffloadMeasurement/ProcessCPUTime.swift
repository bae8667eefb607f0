/// CPU time (user + system) of a process, from `/proc/<pid>/stat` (Linux).
public enum ProcessCPUTime {
  /// Seconds of CPU the process has used, or `nil` when its stat file cannot be read.
  /// - Parameter pid: The process, or `nil` for this one.
  public static func seconds(pid: Int32? = nil) -> Double? {
    let path = "/proc/\(pid.map(String.init) ?? "self")/stat"
    guard let text = ProcFile.text(path), let close = text.lastIndex(of: ")") else {
      return nil
    }
    // After the command name: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / ProcFile.clockTicksPerSecond
  }
}
