import StargraphCore
/// Why the engine refused to start, resume or answer a run. Each message says what is wrong in
/// neutral words; the CLI and the HTTP API add their own hints (a flag, a field).
public enum EngineError: Error, Sendable, CustomStringConvertible {
    case runNotFound(String)
    case notResumable(String, RunStatus)
    case awaitingInput(String, prompt: String)
    case notAwaitingInput(String, RunStatus)
    case invalidResponse(String, String)
    case graphChanged(String, stored: String, current: String)
    case corruptRun(String)

    public var description: String {
        switch self {
        case .runNotFound(let id):
            "no run '\(id)' in this database"
        case .notResumable(let id, let status):
            "run \(id) is \(status.rawValue); only pending, running, paused or awaiting_input runs can continue"
        case .awaitingInput(let id, let prompt):
            "run \(id) is awaiting input (\(prompt)); it continues once the interrupt is answered"
        case .notAwaitingInput(let id, let status):
            "run \(id) is \(status.rawValue), not awaiting_input; a response can only answer an interrupt"
        case .invalidResponse(let id, let why):
            "response to run \(id) does not fit the graph's state_schema: \(why)"
        case .graphChanged(let id, let stored, let current):
            "run \(id) was started with graph \(stored), but the graph now compiles to \(current); finish it with the original graph and plugins"
        case .corruptRun(let why):
            "stored run is inconsistent: \(why)"
        }
    }
}
