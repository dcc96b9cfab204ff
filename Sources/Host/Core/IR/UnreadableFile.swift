import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a file cannot be read, in words that say what is wrong — missing, a folder, not
/// readable by this user — rather than Foundation's "The operation could not be completed".
package enum UnreadableFile {
    /// The reason `path` cannot be read as a file (after a read of it failed).
    package static func reason(_ path: String) -> String {
        var status = stat()
        guard stat(path, &status) == 0 else {
            return errno == ENOENT ? "there is no such file" : String(cString: strerror(errno))
        }
        if status.st_mode & S_IFMT == S_IFDIR { return "it is a folder, not a file" }
        if access(path, R_OK) != 0 { return "permission denied: the user running stargraph cannot read it" }
        return "it could not be read as text"
    }
}
