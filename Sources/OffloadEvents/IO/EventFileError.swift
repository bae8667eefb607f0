// Why toy events could not be written to or read from an event file.

/// An event file's columns are missing, inconsistent or fail their checksums, or an event
/// cannot be represented in the format. (Errors of the archive itself are `NumpyArchiveError`s.)
public enum EventFileError: Error, Equatable, CustomStringConvertible {
  /// A required column is not in the file.
  case missingColumn(file: String, column: String)
  /// A column has the wrong dtype or shape.
  case wrongColumn(file: String, column: String, expected: String, found: String)
  /// Counts and columns disagree (negative count, sums that do not match the rows, …).
  case inconsistent(file: String, column: String, detail: String)
  /// The file was written in a format version this reader does not know.
  case unsupportedFormatVersion(file: String, version: Int64)
  /// The configuration column is not UTF-8.
  case invalidConfigurationJSON(file: String)
  /// An event read back does not have the checksum stored for it: the file is damaged.
  case checksumMismatch(file: String, position: Int, eventIndex: UInt64, stored: UInt64, computed: UInt64)
  /// An event cannot be written exactly (for example jets whose padding is not zero).
  case unrepresentable(eventIndex: UInt64, detail: String)

  public var description: String {
    switch self {
    case .missingColumn(let file, let column):
      "\(file): column '\(column)' is missing"
    case .wrongColumn(let file, let column, let expected, let found):
      "\(file): column '\(column)' should be \(expected), is \(found)"
    case .inconsistent(let file, let column, let detail):
      "\(file): column '\(column)': \(detail)"
    case .unsupportedFormatVersion(let file, let version):
      "\(file): event file format version \(version) is not supported (this reader knows \(EventFile.formatVersion))"
    case .invalidConfigurationJSON(let file):
      "\(file): column 'configuration_json' is not UTF-8"
    case .checksumMismatch(let file, let position, let eventIndex, let stored, let computed):
      "\(file): event \(eventIndex) (row \(position)) has checksum \(String(computed, radix: 16)), "
        + "the file says \(String(stored, radix: 16)): the file is damaged"
    case .unrepresentable(let eventIndex, let detail):
      "event \(eventIndex) cannot be written: \(detail)"
    }
  }
}
