import Foundation

/// Finds a manifest entry's `library` file: an absolute path as is; otherwise the manifest's
/// folder, then each folder of `STARGRAPH_PLUGIN_PATH` (colon-separated), then the folder of
/// the running executable (the build folder, where `swift build` puts the in-tree plugins).
public struct PluginLibraryLocator: Sendable {
    /// The folders searched, in order, for a relative `library`.
    public var searchFolders: [String]

    /// A locator for a manifest in `manifestDirectory`, reading `STARGRAPH_PLUGIN_PATH` from
    /// `environment`.
    public init(manifestDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        var folders = [manifestDirectory]
        if let path = environment["STARGRAPH_PLUGIN_PATH"] {
            folders += path.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        if let build = Self.executableDirectory { folders.append(build) }
        searchFolders = folders
    }

    /// The folder of the running executable (`/proc/self/exe`).
    public static var executableDirectory: String? {
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        return URL(fileURLWithPath: executable).deletingLastPathComponent().path
    }

    /// The path of `library`, or a reason listing every place tried.
    package func locate(_ library: String) -> Result<String, PluginLocateError> {
        let candidates = library.hasPrefix("/")
            ? [library]
            : searchFolders.map { URL(fileURLWithPath: $0).appendingPathComponent(library).standardizedFileURL.path }
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
                return .success(candidate)
            }
        }
        return .failure(PluginLocateError(tried: candidates))
    }
}

/// No file matched a `library` value.
package struct PluginLocateError: Error {
    package var tried: [String]

    package var reason: String {
        "library file not found; tried \(tried.joined(separator: ", ")). Build the plugin (`swift build`), fix the path, or add its folder to STARGRAPH_PLUGIN_PATH"
    }
}
