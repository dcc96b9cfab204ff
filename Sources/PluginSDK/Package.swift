// swift-tools-version:6.0
// The plugin author's package: the C ABI header (PluginABI, from ../PluginABI) and the Swift SDK
// on it (PluginSDK). It depends on nothing else, so an out-of-tree plugin resolves this package
// alone, never the host's dependencies (docs/plugins.md).
import PackageDescription

let package = Package(
    name: "PluginSDK",
    products: [
        .library(name: "PluginSDK", targets: ["PluginSDK"]),
        .library(name: "PluginABI", targets: ["PluginABI"]),
    ],
    targets: [
        .target(name: "PluginABI", path: "ABI"),
        .target(name: "PluginSDK", dependencies: ["PluginABI"], path: "SDK"),
    ],
    swiftLanguageModes: [.v6]
)
