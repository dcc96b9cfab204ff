import Logging

/// A log handler that keeps the logger's metadata as it is given, and hands it to `Inner` only
/// when a message is logged.
///
/// swift-log's `StreamLogHandler` formats its whole metadata again each time one key is set.
/// Hummingbird sets a request id on the logger of every request, so under load that formatting
/// is paid for log lines that at the default `warning` level are never written
/// (docs/performance.md). Wrapped here, the formatting happens only for lines that are written.
public struct LazyMetadataLogHandler<Inner: LogHandler>: LogHandler {
    private var inner: Inner
    /// The logger's own metadata; a message's explicit metadata wins over it, key by key.
    public var metadata: Logger.Metadata = [:]

    /// Wraps `inner`, which should carry no metadata of its own.
    public init(_ inner: Inner) {
        self.inner = inner
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.metadata = metadata.merging(event.metadata ?? [:]) { _, explicit in explicit }
        inner.log(event: event)
    }
}
