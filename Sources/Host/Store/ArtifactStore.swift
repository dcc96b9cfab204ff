import Foundation
import StargraphCore
import StargraphStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Content-addressed artifact files plus their metadata, recorded in the run store.
///
/// The bytes of an artifact live in `<directory>/<sha256 hex>`, written once (temp file, fsync,
/// rename), so equal contents share one file and a reader never sees a partial file. Each write
/// also records who wrote it (run, step, node, name, content type) through
/// ``RunStore/recordArtifact(_:)``; a step re-executed after a crash replaces its own record.
public final class ArtifactStore: Sendable {
    /// The folder holding the artifact files.
    public let directory: String
    package let store: any RunStore

    /// `<folder of the database>/artifacts`: the default artifact folder for the database at `databasePath`.
    public static func defaultDirectory(forDatabase databasePath: String) -> String {
        URL(fileURLWithPath: databasePath).deletingLastPathComponent().appendingPathComponent("artifacts").path
    }

    /// The artifact folder `directory` (created by the first write), recording rows in `store`.
    /// Opening it touches no file, so commands that never write artifacts leave no folder behind.
    package init(directory: String, store: any RunStore) {
        self.directory = directory
        self.store = store
    }

    /// Stores `bytes` (the file first, then the row) and returns the recorded artifact.
    /// - Throws: ``ArtifactError/cannotCreateDirectory(_:detail:)`` or
    ///   ``ArtifactError/cannotWrite(_:detail:)`` for a file failure, a ``StoreError``
    ///   for the row (e.g. ``StoreError/database(operation:detail:)`` when `runId` is not a run).
    public func write(
        _ bytes: [UInt8], runId: String, step: Int, node: String, name: String, contentType: String
    ) async throws -> ArtifactRecord {
        let id = ArtifactID(of: bytes)
        try writeFile(bytes, id: id)
        let record = ArtifactRecord(
            artifactId: id, runId: runId, step: step, node: node, name: name,
            contentType: contentType, size: bytes.count, createdAt: Date())
        try await store.recordArtifact(record)
        return record
    }

    /// The artifacts of `runId`, by step then name (empty for an unknown run).
    public func artifacts(runId: String) async throws -> [ArtifactRecord] {
        try await store.artifacts(runId: runId)
    }

    /// The first recorded write of `id` (its content type is the one served), or `nil` when no
    /// run wrote it.
    public func artifact(_ id: ArtifactID) async throws -> ArtifactRecord? {
        try await store.artifact(id)
    }

    /// The bytes of `id`, or `nil` when its file is absent.
    /// - Throws: ``ArtifactError/cannotRead(_:detail:)`` when the file exists but cannot be read.
    public func contents(of id: ArtifactID) throws -> [UInt8]? {
        let path = filePath(id)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ArtifactError.cannotRead(path, detail: error.localizedDescription)
        }
    }

    /// Where the bytes of `id` live. `id` is validated, so this stays inside ``directory``.
    package func filePath(_ id: ArtifactID) -> String { directory + "/" + id.hex }

    /// Writes the file of `id` unless it exists: to a unique temp file, fsync, rename, fsync the folder.
    private func writeFile(_ bytes: [UInt8], id: ArtifactID) throws {
        let target = filePath(id)
        guard !FileManager.default.fileExists(atPath: target) else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ArtifactError.cannotCreateDirectory(directory, detail: error.localizedDescription)
        }
        let temp = directory + "/.tmp-" + id.hex + "-" + UUID().uuidString
        let descriptor = open(temp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw ArtifactError.cannotWrite(temp, detail: String(cString: strerror(errno))) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(bytes))
            try handle.synchronize()
            try handle.close()
        } catch {
            unlink(temp)
            throw ArtifactError.cannotWrite(target, detail: error.localizedDescription)
        }
        guard rename(temp, target) == 0 else {
            let detail = String(cString: strerror(errno))
            unlink(temp)
            throw ArtifactError.cannotWrite(target, detail: detail)
        }
        let folder = open(directory, O_RDONLY)
        if folder >= 0 {
            _ = fsync(folder)
            close(folder)
        }
    }
}

/// An artifact file could not be stored or read; the message names the path and the cause.
public enum ArtifactError: Error, Sendable, CustomStringConvertible {
    case cannotCreateDirectory(String, detail: String)
    case cannotWrite(String, detail: String)
    case cannotRead(String, detail: String)

    public var description: String {
        switch self {
        case .cannotCreateDirectory(let path, let detail):
            "cannot create the artifact folder \(path): \(detail); check that its parent is writable"
        case .cannotWrite(let path, let detail):
            "cannot write the artifact file \(path): \(detail); check free space and permissions of the artifact folder"
        case .cannotRead(let path, let detail):
            "cannot read the artifact file \(path): \(detail); check its permissions"
        }
    }
}
