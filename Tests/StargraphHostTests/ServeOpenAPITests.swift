import Foundation
import Testing
@testable import StargraphHost
@testable import StargraphCore
@testable import StargraphServe

/// `/openapi.json` describes exactly the routes the server has.
@Suite("Serve: OpenAPI document")
struct ServeOpenAPITests {
    @Test("every registered route is in the document, and every documented operation is registered")
    func documentMatchesRoutes() async throws {
        try await ServeTestHarness.with { server in
            let registered = Set(server.server.routes.map { "\($0.method) \($0.path)" })
            let documented = Set(OpenAPIDocument.operations.map { "\($0.method.rawValue) \($0.path)" })
            #expect(registered.subtracting(documented).sorted() == [], "routes missing from /openapi.json")
            #expect(documented.subtracting(registered).sorted() == [], "documented operations without a route")

            let served = try await server.request("GET", "/openapi.json")
            #expect(served.headers["content-type"] == "application/json")
            let document = try served.json()
            #expect(document["openapi"]?.stringValue == "3.1.0")
            #expect(Set(document["paths"]?.objectValue?.keys.map { $0 } ?? []) == Set(OpenAPIDocument.operations.map(\.path)))
        }
    }

    @Test("each operation is declared once; every route under /v1 and /metrics names its capability and asks for a key")
    func operationsDeclaredOnce() {
        let operations = OpenAPIDocument.operations
        #expect(operations.map(\.id).sorted { $0.rawValue < $1.rawValue } == APIOperation.allCases.sorted { $0.rawValue < $1.rawValue })
        let paths = OpenAPIDocument.paths
        for operation in operations {
            let secured = RouteCapabilities.requiresAuthentication(path: operation.path)
            #expect((operation.capability != nil) == secured, "\(operation.id)")
            let declared = paths[operation.path]?[operation.method.rawValue.lowercased()]
            #expect((declared?["security"] != nil) == secured, "\(operation.id)")
            #expect(operation.capability.map { RouteCapabilities.allCapabilities.contains($0) } ?? true, "\(operation.id)")
        }
        #expect(RouteCapabilities.routes.count == operations.filter { $0.capability != nil }.count)
    }

    @Test("every $ref points at a defined schema")
    func referencesResolve() throws {
        let document = OpenAPIDocument.document(version: "test")
        let schemas = Set(document["components"]?["schemas"]?.objectValue?.keys.map { $0 } ?? [])
        var references: [String] = []
        func walk(_ value: JSONValue) {
            switch value {
            case .object(let members):
                if let ref = members["$ref"]?.stringValue { references.append(ref) }
                members.values.forEach(walk)
            case .array(let items):
                items.forEach(walk)
            default:
                break
            }
        }
        walk(document)
        #expect(!references.isEmpty)
        for reference in references {
            #expect(reference.hasPrefix("#/components/schemas/"))
            #expect(schemas.contains(String(reference.dropFirst("#/components/schemas/".count))), "\(reference)")
        }
    }
}
