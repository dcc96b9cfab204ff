import StargraphCore
import StargraphEngine
import StargraphBroker
import HTTPTypes

/// The OpenAPI 3.1 description of the server, written as data. It is the one list of routes:
/// each operation's method, path and the capability it needs (`x-capability`) are declared here
/// only. The router binds handlers to operations (``APIOperation``), ``RouteCapabilities`` and
/// ``RouteTemplates`` (404, 405, unknown query parameters) are read from it, and
/// `GET /openapi.json` serves it.
enum OpenAPIDocument {
    /// The document for a server of `version`.
    static func document(version: String) -> JSONValue {
        [
            "openapi": "3.1.0",
            "info": [
                "title": "Stargraph",
                "version": .string(version),
                "description": "Run stateful, rule-routed graphs. Every error is RFC 9457 application/problem+json.",
            ],
            "paths": paths,
            "components": [
                "schemas": OpenAPISchemas.all,
                "securitySchemes": [
                    "bearer": ["type": "http", "scheme": "bearer"],
                    "apiKey": ["type": "apiKey", "in": "header", "name": "X-Api-Key"],
                ],
            ],
        ]
    }

    /// One documented operation: its id, method, OpenAPI path (`/v1/runs/{id}`), query parameter
    /// names, and the capability it needs in `cleared` (`nil`: open to anyone).
    struct Operation: Sendable {
        let id: APIOperation
        let method: HTTPRequest.Method
        let path: String
        let query: [String]
        let capability: String?
    }

    /// Every operation of ``paths``, read once.
    static let operations: [Operation] = {
        guard let members = paths.objectValue else { return [] }
        return members.keys.sorted().flatMap { path in
            let methods = members[path]?.objectValue ?? [:]
            return methods.keys.sorted().compactMap { method -> Operation? in
                let operation = methods[method]
                guard let id = operation?["operationId"]?.stringValue.flatMap(APIOperation.init(rawValue:)),
                      let httpMethod = HTTPRequest.Method(method.uppercased())
                else { return nil }
                let parameters = operation?["parameters"]?.arrayValue ?? []
                let query = parameters.filter { $0["in"]?.stringValue == "query" }.compactMap { $0["name"]?.stringValue }
                return Operation(id: id, method: httpMethod, path: path, query: query, capability: operation?["x-capability"]?.stringValue)
            }
        }
    }()

    static let paths: JSONValue = [
        "/health": ["get": operation(
            .health, "Component health: store, plugins, scheduler, broker (ok, unconfigured or error).", needs: nil,
            responses: ["200": json("Healthy (no component in error).", "Health"), "503": problem("A component is in error; `components` says which.")])],
        "/metrics": ["get": operation(
            .metrics, "Prometheus metrics: runs by status, run and step durations, queue depth, plugin invoke errors.", needs: "metrics:read",
            responses: ["200": ["description": "Prometheus text exposition format 0.0.4.", "content": ["text/plain": ["schema": ["type": "string"]]]]])],
        "/openapi.json": ["get": operation(
            .openapi, "This document.", needs: nil,
            responses: ["200": ["description": "The OpenAPI 3.1 document.", "content": ["application/json": ["schema": ["type": "object"]]]]])],
        "/v1/runs": [
            "post": operation(
                .submitRun, "Start a run of a registered graph, or of a graph found through the database (one an earlier run stored; origin: database). It is queued durably and really executes.", needs: "runs:start",
                parameters: [["name": "Idempotency-Key", "in": "header", "required": false,
                              "schema": ["type": "string", "minLength": 1, "maxLength": 255]]],
                body: ["required": true, "content": ["application/json": ["schema": ref("RunSubmission")]]],
                responses: [
                    "202": json("A new run was accepted.", "RunAccepted", headers: ["Location": ["schema": ["type": "string"]]], links: runLinks),
                    "200": json("Same idempotency key and body as an earlier request: that run.", "RunAccepted", links: runLinks),
                    "400": problem("The body is not valid JSON."),
                    "404": problem("No graph with that graph_id (or a stored one the cleared profile does not run without database_graphs: true)."),
                    "409": problem("The idempotency key was used with a different body, or graph_hash pins another graph than the one with that id."),
                    "413": problem("The body is over 1 MiB."),
                    "415": problem("The body is not declared as JSON."),
                    "422": problem("The body or its params do not fit (params are checked against the graph's state_schema)."),
                    "503": problem("The server is shutting down."),
                ], mutating: true),
            "get": operation(
                .listRuns, "Runs, newest first, filtered and paged by cursor: a walk from the first page to the last sees every run that existed when it began exactly once, however many are inserted meanwhile.", needs: "runs:read",
                parameters: [
                    query("status", ["type": "string", "enum": .array(RunStatus.allCases.map { .string($0.rawValue) })]),
                    query("graph_id", ["type": "string"]),
                    query("parent_run_id", ["type": "string"]),
                    query("created_after", ["type": "string", "format": "date-time"]),
                    query("created_before", ["type": "string", "format": "date-time"]),
                    query("limit", ["type": "integer", "minimum": 1, "maximum": 500, "default": 50]),
                    query("cursor", ["type": "string", "minLength": 1, "description": "The previous page's next_cursor, with the same filters."]),
                    query("offset", [
                        "type": "integer", "minimum": 0, "maximum": 2_147_483_647, "default": 0,
                        "description": "Deprecated: shifts when runs are inserted; use cursor. Only 0 combines with cursor.",
                    ], deprecated: true),
                ],
                responses: ["200": json("One page of runs.", "RunList"), "400": problem("A query parameter does not fit.")]),
        ],
        "/v1/runs/wait": ["post": operation(
            .submitRunAndWait, "Start a run as POST /v1/runs does, then wait until it is done, failed, cancelled, awaiting_input (the answer carries the interrupt's prompt and payload) or paused, or until timeout seconds pass.", needs: "runs:start",
            parameters: [["name": "Idempotency-Key", "in": "header", "required": false,
                          "schema": ["type": "string", "minLength": 1, "maxLength": 255]]],
            body: ["required": true, "content": ["application/json": ["schema": ref("RunWaitSubmission")]]],
            responses: [
                "200": json("The run stopped moving: its summary.", "RunWaitResult", headers: ["Location": ["schema": ["type": "string"]]]),
                "202": json("The timeout passed first: the run's summary so far; poll the Location.", "RunWaitResult", headers: ["Location": ["schema": ["type": "string"]]]),
                "400": problem("The body is not valid JSON."),
                "404": problem("No graph with that graph_id."),
                "409": problem("The idempotency key was used with a different body, or graph_hash pins another graph."),
                "413": problem("The body is over 1 MiB."),
                "415": problem("The body is not declared as JSON."),
                "422": problem("The body, its params or its timeout do not fit."),
                "503": problem("The server is shutting down, or cannot record the run."),
            ], mutating: true)],
        "/v1/runs/{id}": ["get": operation(
            .getRun, "The RunSummary of a run (read from the store: runs of other processes on the database show too).", needs: "runs:read",
            parameters: [pathId("Run id (run-…).")],
            responses: ["200": json("The run.", "RunSummary"), "404": problem("No such run.")])],
        "/v1/runs/{id}/steps": ["get": operation(
            .getRunSteps, "Every checkpoint of a run, in step order.", needs: "runs:read",
            parameters: [pathId("Run id.")],
            responses: ["200": json("The checkpoints.", "RunSteps"), "404": problem("No such run.")])],
        "/v1/runs/{id}/cancel": ["post": control(.cancelRun, "Cancel a run (a running one stops at its next step boundary).", needs: "runs:cancel")],
        "/v1/runs/{id}/pause": ["post": control(.pauseRun, "Pause a run at its next step boundary.", needs: "runs:pause")],
        "/v1/runs/{id}/resume": ["post": control(.resumeRun, "Resume a paused run.", needs: "runs:resume")],
        "/v1/runs/{id}/respond": ["post": control(
            .respondToRun, "Answer a run awaiting input; the body is the response object (a state patch).", needs: "runs:respond",
            body: ["required": true, "content": ["application/json": ["schema": ["type": "object"]]]])],
        "/v1/runs/{id}/counterfactual": ["post": operation(
            .forkRun, "Fork a counterfactual run from a persisted step, apply a mutation, and run the fork in the scheduler.", needs: "counterfactual:run",
            parameters: [pathId("Parent run id.")],
            body: ["required": true, "content": ["application/json": ["schema": [
                "type": "object", "additionalProperties": false,
                "properties": [
                    "from_step": ["type": ["integer", "null"], "minimum": 0, "description": "The step to fork at (default, or null: 0)."],
                    "mutation": [
                        "type": "object", "additionalProperties": false,
                        "description": "CounterfactualMutation; every field is optional and checked against the graph.",
                        "properties": [
                            "state_overrides": ["type": ["object", "null"], "description": "State field → value, applied at the fork step."],
                            "facts_assert": ["type": ["array", "null"], "description": "Facts to assert (CLIPS text or {template, slots})."],
                            "facts_retract": ["type": ["array", "null"], "description": "Fact patterns to retract."],
                            "rule_pack_version": ["type": ["string", "null"], "description": "One of the graph's rule_packs."],
                            "node_output_overrides": [
                                "type": ["object", "null"], "additionalProperties": ["type": "object"],
                                "description": "Node id → the patch that replaces its output.",
                            ],
                            "respond_payloads": ["type": ["array", "null"], "items": ["type": "object"], "description": "Answers to the fork's interrupts, in order."],
                        ],
                    ],
                ],
            ]]]],
            responses: [
                "202": json("The fork was stored and queued.", "ForkAccepted", headers: ["Location": ["schema": ["type": "string"]]]),
                "400": problem("The body is not valid JSON."),
                "404": problem("No such run."),
                "413": problem("The body is over 1 MiB."),
                "415": problem("The body is not declared as JSON."),
                "422": problem("from_step is outside the run, or the mutation does not fit the graph."),
                "503": problem("The server is shutting down."),
            ], mutating: true)],
        "/v1/runs/{id}/diff": ["get": operation(
            .diffRun, "The RunDiff of a counterfactual run against its parent, or against `?against=RUN_ID`.", needs: "runs:read",
            parameters: [pathId("Run id (cf-… or run-…)."), query("against", ["type": "string"])],
            responses: [
                "200": json("The RunDiff: added_steps, removed_steps, state_deltas, fact_deltas, derived_hash.", "RunDiff"),
                "404": problem("No such run."),
                "422": problem("The run is not a fork and no ?against was given, or the runs are of different graphs."),
            ])],
        "/v1/runs/{id}/stream": ["get": operation(
            .streamRun, "WebSocket: the run's events as JSON {seq, run_id, step, type, ts, payload}, from the durable log then live; `?last_event_id=N` resumes after N.", needs: "runs:read",
            parameters: [pathId("Run id."), query("last_event_id", ["type": "integer", "minimum": 0])],
            responses: [
                "101": ["description": "Switched to the WebSocket protocol."],
                "404": problem("No such run."),
                "426": problem("Not a WebSocket upgrade request."),
            ])],
        "/v1/runs/{id}/events": ["get": operation(
            .runEvents, "Server-Sent Events: the run's events (id: seq, event: type, data: the WebSocket's JSON frame), from the durable log then live, with a heartbeat comment when idle; the response ends after the terminal event. Last-Event-ID (or ?last_event_id=N) resumes after N with no gap and no duplicate.", needs: "runs:read",
            parameters: [
                pathId("Run id."), query("last_event_id", ["type": "integer", "minimum": 0]),
                ["name": "Last-Event-ID", "in": "header", "required": false, "schema": ["type": "string", "pattern": "^[0-9]+$"]],
            ],
            responses: [
                "200": ["description": "The event stream.", "content": ["text/event-stream": ["schema": ["type": "string"]]]],
                "404": problem("No such run."),
            ])],
        "/v1/runs/{id}/artifacts": ["get": operation(
            .listRunArtifacts, "Artifacts a run wrote with `write_artifact` nodes.", needs: "artifacts:read",
            parameters: [pathId("Run id.")],
            responses: ["200": json("The run's artifacts.", "ArtifactList"), "404": problem("No such run.")])],
        "/v1/runs/{id}/webhooks": ["get": operation(
            .listRunWebhooks, "The run's webhook deliveries by event seq, each with its attempts (time, HTTP status or error, duration) and its status: pending (with the next attempt's time), delivered or failed.", needs: "runs:read",
            parameters: [pathId("Run id.")],
            responses: ["200": json("The run's webhook deliveries.", "WebhookDeliveryList"), "404": problem("No such run.")])],
        "/v1/artifacts/{id}": ["get": operation(
            .getArtifact, "An artifact's content, with its stored content type.", needs: "artifacts:read",
            parameters: [pathId("Artifact id (content address).", pattern: "^sha256:[0-9a-f]{64}$")],
            responses: [
                "200": ["description": "The content.", "content": ["*/*": ["schema": [:]]]],
                "400": problem("The id is not sha256:<64 lowercase hex digits>."),
                "404": problem("No such artifact."),
            ])],
        "/v1/graphs": ["get": operation(
            .listGraphs, "The graphs this server runs (from plugins, the manifest and --graph).", needs: "runs:read",
            responses: ["200": json("The graphs.", "GraphList")])],
        "/v1/graphs/{id}": ["get": operation(
            .getGraph, "One graph: nodes, state_schema and source.", needs: "runs:read",
            parameters: [pathId("Graph id (e.g. run:hello-stargraph).")],
            responses: ["200": json("The graph.", "GraphDetail"), "404": problem("No such graph.")])],
        "/v1/broker/request": ["post": operation(
            .brokerRequest, "Ask the policy broker for data: it routes by agent, purpose and data types, queries the allowed sources, signs and audits the decision. Denials are part of a 200 answer.", needs: "tools:broker_request",
            body: ["required": true, "content": ["application/json": ["schema": ref("BrokerRequest")]]],
            responses: [
                "200": json("The routing decision, the rows of the sources that answered, and the attestation token.", "BrokerResponse"),
                "400": problem("The body is not valid JSON."),
                "413": problem("The body is over 1 MiB."),
                "415": problem("The body is not declared as JSON."),
                "422": problem("The request does not fit (missing, empty or over-long agent_id, intent or context.purpose)."),
                "500": problem("The broker could not write its audit line, so it withheld the response."),
                "503": problem("No broker is configured (no nautilus config)."),
            ], mutating: true)],
        "/v1/broker/sources": ["get": operation(
            .listBrokerSources, "The broker's sources: metadata only (never connection strings, paths or queries).", needs: "tools:broker_request",
            responses: ["200": json("The sources.", "BrokerSources"), "503": problem("No broker is configured (no nautilus config).")])],
        "/v1/broker/jwks.json": ["get": operation(
            .brokerJWKS, "The attestation public key as a JWK Set (OKP / Ed25519); empty when attestation is disabled.", needs: "tools:broker_request",
            responses: ["200": json("The key set.", "JWKS"), "503": problem("No broker is configured (no nautilus config).")])],
        "/v1/audit/head": ["get": operation(
            .auditHead, "The audit log's head: the last record's seq and line sha256, and the chain's first-line sha256, read from the file (every process's appends count). Hand it to an outside witness; a log later shorter than this seq, or different at it, was tampered with.", needs: "audit:read",
            responses: ["200": json("The head.", "AuditHead"), "503": problem("The server writes no audit log.")])],
        "/v1/audit/jwks.json": ["get": operation(
            .auditJWKS, "The public key that verifies the audit log's record signatures, as a JWK Set (OKP / Ed25519); empty when the log is not signed.", needs: "audit:read",
            responses: ["200": json("The key set.", "JWKS"), "503": problem("The server writes no audit log.")])],
        "/v1/plugins": ["get": operation(
            .listPlugins, "Loaded plugins with their node kinds and graphs.", needs: "runs:read",
            responses: ["200": json("The plugins.", "PluginList")])],
    ]

    // MARK: - Building blocks

    /// An operation; `needs` is the capability it requires in `cleared` (`nil`: open, no key).
    private static func operation(
        _ id: APIOperation, _ summary: String, needs capability: String?, parameters: [JSONValue] = [], body: JSONValue? = nil,
        responses: [String: JSONValue], mutating: Bool = false
    ) -> JSONValue {
        let secured = capability != nil
        var all = responses
        all["400"] = all["400"] ?? problem("A query parameter the route does not take.")
        if secured {
            all["401"] = problem("An API key is required (profile cleared).")
            all["403"] = problem("The API key lacks this route's capability.")
        }
        if mutating {
            all["429"] = problem("Rate limited; retry after Retry-After seconds.", headers: ["Retry-After": ["schema": ["type": "integer"]]])
        }
        var members: [String: JSONValue] = ["operationId": .string(id.rawValue), "summary": .string(summary), "responses": .object(all)]
        if let capability { members["x-capability"] = .string(capability) }
        if !parameters.isEmpty { members["parameters"] = .array(parameters) }
        if let body { members["requestBody"] = body }
        if secured { members["security"] = [[:], ["bearer": []], ["apiKey": []]] }
        return .object(members)
    }

    private static func control(_ id: APIOperation, _ summary: String, needs capability: String, body: JSONValue? = nil) -> JSONValue {
        var responses: [String: JSONValue] = [
            "200": json("Applied; the run as it is now.", "RunSummary"),
            "202": json("Requested; the running run applies it at its next step boundary.", "RunSummary"),
            "404": problem("No such run."),
            "409": problem("The run's status does not allow this; `run_status` names it."),
            "503": problem("The server is shutting down."),
        ]
        if body != nil {
            responses["400"] = problem("The body is not valid JSON.")
            responses["413"] = problem("The body is over 1 MiB.")
            responses["415"] = problem("The body is not declared as JSON.")
            responses["422"] = problem("The response does not fit the graph's state_schema.")
        }
        return operation(id, summary, needs: capability, parameters: [pathId("Run id.")], body: body, responses: responses, mutating: true)
    }

    private static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }

    private static func json(_ description: String, _ schema: String, headers: JSONValue? = nil, links: JSONValue? = nil) -> JSONValue {
        var members: [String: JSONValue] = [
            "description": .string(description), "content": ["application/json": ["schema": ref(schema)]],
        ]
        if let headers { members["headers"] = headers }
        if let links { members["links"] = links }
        return .object(members)
    }

    /// What a client can do with the `run_id` a submission returns.
    private static let runLinks: JSONValue = .object(Dictionary(uniqueKeysWithValues: [
        "getRun", "getRunSteps", "cancelRun", "pauseRun", "resumeRun", "respondToRun", "listRunArtifacts", "listRunWebhooks",
    ].map { operation in
        (operation, ["operationId": .string(operation), "parameters": ["id": "$response.body#/run_id"]])
    }))

    private static func problem(_ description: String, headers: JSONValue? = nil) -> JSONValue {
        var members: [String: JSONValue] = [
            "description": .string(description), "content": [Problem.mediaType: ["schema": ref("Problem")]],
        ]
        if let headers { members["headers"] = headers }
        return .object(members)
    }

    private static func query(_ name: String, _ schema: JSONValue, deprecated: Bool = false) -> JSONValue {
        var parameter: [String: JSONValue] = ["name": .string(name), "in": "query", "required": false, "schema": schema]
        if deprecated { parameter["deprecated"] = true }
        return .object(parameter)
    }

    private static func pathId(_ description: String, pattern: String? = nil) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "string", "minLength": 1]
        if let pattern { schema["pattern"] = .string(pattern) }
        return ["name": "id", "in": "path", "required": true, "description": .string(description), "schema": .object(schema)]
    }
}
