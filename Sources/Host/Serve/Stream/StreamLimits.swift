/// Bounds of one run event stream (`/v1/runs/{id}/stream` and `/v1/runs/{id}/events`).
public struct StreamLimits: Sendable {
    /// Events read from the store per query.
    public var pageSize = 256
    /// Events committed after the stream opened that may wait unsent before the consumer is
    /// judged too slow and closed with 1008 (the backlog present at connect time is exempt).
    public var maxPendingEvents = 10_000
    /// How long one page of frames may wait for the socket before the consumer is judged too
    /// slow and closed with 1008.
    public var stallTimeout: Duration = .seconds(30)
    /// How often an idle stream re-reads the store anyway, to see events committed by other
    /// processes on the same database (which do not wake the hub).
    public var pollInterval: Duration = .seconds(1)
    /// How long the server waits for the client's close reply (or for a stalled close frame).
    public var closeTimeout: Duration = .seconds(5)
    /// How often an event stream without events sends a comment line, so proxies keep the
    /// connection and the server notices a client that left.
    public var heartbeatInterval: Duration = .seconds(15)

    /// The defaults above.
    public init() {}
}
