import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plugin library file read once, through one descriptor, and loaded so that what runs is
/// exactly what was hashed.
///
/// Hashing a path and then `dlopen`ing the same path again lets anyone who can replace the
/// file (or rewrite it) in between load a library the pin never saw. A pinned library is
/// therefore loaded from a private copy of the bytes that were hashed: a file in a fresh
/// directory only this process can enter (mode 0700), opened and then removed. Its `$ORIGIN`
/// is that directory, so a pinned library finds its own dependencies by soname and RUNPATH
/// entries other than `$ORIGIN`.
package struct LibraryFile {
    package let path: String
    package let bytes: [UInt8]
    /// The permission bits of the file and of its folder, for ``isReplaceableByOthers``.
    private let fileMode: mode_t
    private let folderMode: mode_t

    /// Reads `path` through one descriptor; refuses what is not a regular file.
    package init(reading path: String) throws(LibraryFileError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { throw .notARegularFile }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            guard count > 0 else {
                if count < 0, errno == EINTR { continue }
                throw .unreadable(count == 0 ? "the file shrank while it was read" : String(cString: strerror(errno)))
            }
            offset += count
        }
        var folder = stat()
        let folderPath = (path as NSString).deletingLastPathComponent
        self.path = path
        self.bytes = bytes
        fileMode = status.st_mode
        folderMode = stat(folderPath.isEmpty ? "." : folderPath, &folder) == 0 ? folder.st_mode : 0
    }

    /// Whether users other than the owner may write the file or its folder, so could replace
    /// the library between boots.
    package var isReplaceableByOthers: Bool {
        fileMode & S_IWOTH != 0 || folderMode & S_IWOTH != 0
    }

    /// `dlopen` of the file by its path (unpinned libraries), or of a private copy of ``bytes``.
    package func load(privateCopy: Bool) -> Result<UnsafeMutableRawPointer, LibraryFileError> {
        guard privateCopy else { return Self.dlopen(path) }
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("stargraph-plugin-XXXXXX").path
        var folderName = Array(template.utf8CString)
        guard mkdtemp(&folderName) != nil else { return .failure(.copyFailed(String(cString: strerror(errno)))) }
        let folder = folderName.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let copy = folder + "/" + (path as NSString).lastPathComponent
        defer {
            unlink(copy)
            rmdir(folder)
        }
        let descriptor = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o500)
        guard descriptor >= 0 else { return .failure(.copyFailed(String(cString: strerror(errno)))) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count else { return .failure(.copyFailed("short write to \(folder)")) }
        return Self.dlopen(copy)
    }

    private static func dlopen(_ path: String) -> Result<UnsafeMutableRawPointer, LibraryFileError> {
        guard let handle = Glibc.dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(.notLoadable(dlerror().map { String(cString: $0) } ?? "unknown error"))
        }
        return .success(handle)
    }
}

/// Why a library file could not be read or loaded.
package enum LibraryFileError: Error {
    case unreadable(String)
    case notARegularFile
    case copyFailed(String)
    case notLoadable(String)

    /// The reason, naming what to change.
    package var reason: String {
        switch self {
        case .unreadable(let cause): "the library file cannot be read (\(cause)); check the path and its permissions"
        case .notARegularFile: "the library path is not a regular file; point `library:` at the .so itself"
        case .copyFailed(let cause): "the pinned library could not be copied to a private folder for loading (\(cause)); check that TMPDIR is writable"
        case .notLoadable(let detail): "not a loadable shared object: \(detail)"
        }
    }
}

/// What the host requires of plugin libraries besides their pins, set by the serve profile.
public struct PluginLoadPolicy: Sendable {
    /// Refuse a library that users other than its owner may write, or whose folder they may
    /// write (such as /tmp), since they could replace it before the next boot.
    public var refusesReplaceableLibraries: Bool
    /// The profile that asks for it, for messages.
    public var profileName: String

    /// Any readable library loads (the `oss-default` profile and the CLI).
    public static let permissive = PluginLoadPolicy(refusesReplaceableLibraries: false, profileName: "oss-default")
    /// Only libraries other users cannot replace load (the `cleared` profile).
    public static let cleared = PluginLoadPolicy(refusesReplaceableLibraries: true, profileName: "cleared")
}
