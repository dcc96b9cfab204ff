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
            let documented = Set(OpenAPIDocument.operations.map { "\($0.method) \($0.path)" })
            #expect(registered.subtracting(documented).sorted() == [], "routes missing from /openapi.json")
            #expect(documented.subtracting(registered).sorted() == [], "documented operations without a route")

            let served = try await server.request("GET", "/openapi.json")
            #expect(served.headers["content-type"] == "application/json")
            let document = try served.json()
            #expect(document["openapi"]?.stringValue == "3.1.0")
            #expect(Set(document["paths"]?.objectValue?.keys.map { $0 } ?? []) == Set(OpenAPIDocument.operations.map(\.path)))
        }
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
