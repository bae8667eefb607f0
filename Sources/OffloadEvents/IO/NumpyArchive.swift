// numpy's `.npz` archives: a ZIP file of named `.npy` arrays, written reproducibly.

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
#if NumpyArchives
internal import ZIPFoundation
#endif

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Reads and writes `.npz` archives, the files `numpy.savez` writes and `numpy.load` opens.
///
/// Each array is stored as the entry `<name>.npy`, uncompressed, in the order given. Every
/// entry has the modification date 1980-01-01 00:00 (the earliest a ZIP file can hold) and
/// the permissions 0644, so the same arrays always give the same bytes, whoever writes them
/// and whenever. Reading checks every entry's CRC-32, so damaged data is reported, not
/// returned.
public enum NumpyArchive {
  /// The modification date of every entry: 1980-01-01T00:00:00Z.
  public static let entryDate = Date(timeIntervalSince1970: 315_532_800)

  /// Writes `arrays` to `url` as `<name>.npy` entries, in order, replacing any file there.
  ///
  /// The archive is written to a temporary file beside `url` and then renamed, so a
  /// reader never sees half a file. Names must be non-empty and distinct.
  public static func write(_ arrays: [(name: String, array: NumpyArray)], to url: URL) throws(NumpyArchiveError) {
    let file = url.path
    var seen: Set<String> = []
    for (name, _) in arrays {
      guard !name.isEmpty else { throw NumpyArchiveError(kind: .name, file: file, entry: name, reason: "empty name") }
      guard seen.insert(name).inserted else {
        throw NumpyArchiveError(kind: .name, file: file, entry: name + ".npy", reason: "name given twice")
      }
    }

    #if NumpyArchives
    let directory = url.deletingLastPathComponent()
    let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    let archive: Archive
    do {
      archive = try Archive(url: temporary, accessMode: .create)
    } catch {
      throw NumpyArchiveError(
        kind: .file, file: file, entry: nil, reason: "cannot create the archive", underlying: error)
    }
    var finished = false
    defer { if !finished { try? FileManager.default.removeItem(at: temporary) } }

    for (name, array) in arrays {
      let entry = name + ".npy"
      let bytes = array.npyBytes()
      do {
        try archive.addEntry(
          with: entry, type: .file, uncompressedSize: Int64(bytes.count), modificationDate: entryDate,
          permissions: 0o644, compressionMethod: .none, bufferSize: 1 << 20
        ) { position, size in
          bytes.subdata(in: Int(position)..<Int(position) + size)
        }
      } catch {
        throw NumpyArchiveError(kind: .entry, file: file, entry: entry, reason: "cannot write", underlying: error)
      }
    }
    // rename(2) replaces an existing file atomically (FileManager's moveItem refuses to, and
    // replaceItemAt is not available everywhere).
    guard rename(temporary.path, url.path) == 0 else {
      let code = errno
      throw NumpyArchiveError(
        kind: .file, file: file, entry: nil,
        reason: "cannot move the archive into place: \(String(cString: strerror(code)))")
    }
    finished = true
    #else
    throw unsupported(file)
    #endif
  }

  /// The arrays of the archive at `url`, by name (the entry name without `.npy`).
  public static func read(from url: URL) throws(NumpyArchiveError) -> [String: NumpyArray] {
    var result: [String: NumpyArray] = [:]
    for (name, array) in try readOrdered(from: url) { result[name] = array }
    return result
  }

  /// The arrays of the archive at `url` in the order of its entries.
  ///
  /// Every entry must be a file named `<name>.npy` holding an NPY array `NumpyArray(npy:)`
  /// reads; names must be distinct. Throws naming the file and the entry otherwise, and when
  /// an entry's CRC-32 does not match its data.
  public static func readOrdered(from url: URL) throws(NumpyArchiveError) -> [(name: String, array: NumpyArray)] {
    let file = url.path
    #if NumpyArchives
    let archive: Archive
    do {
      archive = try Archive(url: url, accessMode: .read)
    } catch {
      throw NumpyArchiveError(
        kind: .file, file: file, entry: nil, reason: "cannot open as a ZIP archive", underlying: error)
    }
    var result: [(name: String, array: NumpyArray)] = []
    var seen: Set<String> = []
    for entry in archive {
      let path = entry.path
      guard entry.type == .file, path.hasSuffix(".npy"), path.count > 4 else {
        throw NumpyArchiveError(kind: .name, file: file, entry: path, reason: "not a .npy file entry")
      }
      let name = String(path.dropLast(4))
      guard seen.insert(name).inserted else {
        throw NumpyArchiveError(kind: .name, file: file, entry: path, reason: "entry appears twice")
      }
      var bytes = Data()
      if entry.uncompressedSize <= UInt64(Int.max) { bytes.reserveCapacity(Int(entry.uncompressedSize)) }
      let crc: CRC32
      do {
        crc = try archive.extract(entry, bufferSize: 1 << 20, skipCRC32: false) { bytes.append($0) }
      } catch {
        throw NumpyArchiveError(kind: .entry, file: file, entry: path, reason: "cannot read", underlying: error)
      }
      // ZIPFoundation computes the CRC-32 while extracting but leaves the comparison to the caller.
      guard crc == entry.checksum else {
        throw NumpyArchiveError(
          kind: .entry, file: file, entry: path,
          reason: "CRC-32 mismatch: the data is damaged (stored \(entry.checksum), computed \(crc))")
      }
      guard UInt64(bytes.count) == entry.uncompressedSize else {
        throw NumpyArchiveError(
          kind: .entry, file: file, entry: path,
          reason: "read \(bytes.count) bytes, the archive says \(entry.uncompressedSize)")
      }
      do {
        result.append((name, try NumpyArray(npy: bytes)))
      } catch {
        throw NumpyArchiveError(kind: .array, file: file, entry: path, reason: error.description, underlying: error)
      }
    }
    return result
    #else
    throw unsupported(file)
    #endif
  }

  #if !NumpyArchives
  /// The error of a build without the NumpyArchives trait (the pip wheel's and the image's).
  private static func unsupported(_ file: String) -> NumpyArchiveError {
    NumpyArchiveError(
      kind: .file, file: file, entry: nil,
      reason: "this offload build reads and writes no .npz files (built without the NumpyArchives trait, as the "
        + "pip wheel and the container image are, to stay small); use a source build (docs/install.md)")
  }
  #endif
}
