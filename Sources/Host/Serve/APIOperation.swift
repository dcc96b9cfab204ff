import Hummingbird

/// The server's operations by their OpenAPI `operationId`. ``OpenAPIDocument`` declares each one
/// once — method, path, capability, parameters, responses — and a route handler is bound to it
/// with ``Hummingbird/Router/on(_:use:)``, so the router, the capability table
/// (``RouteCapabilities``) and the document cannot disagree.
enum APIOperation: String, CaseIterable, Sendable {
    case health, metrics, openapi
    case submitRun, listRuns, submitRunAndWait, getRun, getRunSteps
    case cancelRun, pauseRun, resumeRun, respondToRun
    case forkRun, diffRun, streamRun, runEvents
    case listRunArtifacts, listRunWebhooks, getArtifact, listGraphs, getGraph, listPlugins
    case brokerRequest, listBrokerSources, brokerJWKS, auditHead, auditJWKS

    /// The operation as the document declares it.
    var declaration: OpenAPIDocument.Operation {
        guard let operation = OpenAPIDocument.operations.first(where: { $0.id == self }) else {
            preconditionFailure("operation \(rawValue) is not declared in OpenAPIDocument.paths")
        }
        return operation
    }
}

extension Router {
    /// Answers `operation` at the method and path the OpenAPI document declares for it.
    @discardableResult
    func on(
        _ operation: APIOperation, use handler: @Sendable @escaping (Request, Context) async throws -> some ResponseGenerator
    ) -> Self {
        let declared = operation.declaration
        return on(RouterPath(declared.path), method: declared.method, use: handler)
    }
}
