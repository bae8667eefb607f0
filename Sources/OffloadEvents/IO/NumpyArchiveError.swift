// Why an `.npz` archive could not be written or read, naming the file and the entry.

/// An `.npz` archive could not be written or read.
public struct NumpyArchiveError: Error, CustomStringConvertible {
  /// What went wrong.
  public enum Kind: Sendable, Equatable {
    /// The file could not be created, opened or replaced, or is not a ZIP archive.
    case file
    /// An entry could not be written or read (I/O error, CRC-32 mismatch, bad ZIP record).
    case entry
    /// An entry is not a valid NPY array (see `underlying`).
    case array
    /// An entry name is empty, repeated, or not a `.npy` file.
    case name
  }

  public var kind: Kind
  /// Path of the archive.
  public var file: String
  /// Name of the entry concerned (as stored, with `.npy`), nil for the archive as a whole.
  public var entry: String?
  /// What failed, in words.
  public var reason: String
  /// The error of ZIPFoundation, Foundation or the NPY parser, if any.
  public var underlying: (any Error)?

  public init(kind: Kind, file: String, entry: String?, reason: String, underlying: (any Error)? = nil) {
    self.kind = kind
    self.file = file
    self.entry = entry
    self.reason = reason
    self.underlying = underlying
  }

  public var description: String {
    var text = "\(file)"
    if let entry { text += ", entry '\(entry)'" }
    text += ": \(reason)"
    if let underlying { text += " (\(underlying))" }
    return text
  }
}
