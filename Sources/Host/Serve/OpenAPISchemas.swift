import StargraphCore
import StargraphEngine
import StargraphBroker
/// The JSON Schemas (OpenAPI 3.1 / JSON Schema 2020-12) of the server's bodies, referenced
/// from ``OpenAPIDocument``. They describe exactly what the routes send, nulls included.
enum OpenAPISchemas {
    private static let stepRef: JSONValue = [
        "type": "object", "required": ["step", "node"], "additionalProperties": false,
        "properties": ["step": ["type": "integer", "minimum": 0], "node": ["type": "string"]],
    ]

    static let all: JSONValue = [
        "Problem": object(
            required: ["type", "title", "status", "detail"],
            [
                "type": string, "title": string, "status": ["type": "integer", "minimum": 400, "maximum": 599],
                "detail": string, "run_id": string,
                "run_status": runStatus,
                "components": ["type": "object", "additionalProperties": component],
            ], closed: false),
        "RunSubmission": object(required: ["graph_id"], submissionProperties, examples: [["graph_id": "run:hello-stargraph", "params": ["message": "hello"]]]),
        "RunWaitSubmission": object(
            required: ["graph_id"],
            submissionProperties.merging([
                "timeout": ["type": "number", "exclusiveMinimum": 0, "maximum": 300, "default": 30, "description": "Seconds to wait for the run to stop moving."],
            ]) { $1 }),
        "RunWaitResult": object(
            required: summaryRequired + ["origin"],
            summaryProperties.merging([
                "origin": ["type": "string", "description": "The graph's registry origin, or `database`."],
                "interrupt": object(required: ["prompt", "payload"], ["prompt": string, "payload": [:]]),
            ]) { $1 }),
        "RunAccepted": object(
            required: ["run_id", "status", "graph_hash", "origin"],
            ["run_id": string, "status": runStatus, "graph_hash": string, "origin": ["type": "string", "description": "The graph's registry origin, or `database`."]]),
        "ForkAccepted": object(
            required: ["run_id", "parent_run_id", "status"], ["run_id": string, "parent_run_id": string, "status": runStatus]),
        "RunDiff": object(
            required: ["added_steps", "removed_steps", "state_deltas", "fact_deltas", "derived_hash"],
            [
                "added_steps": ["type": "array", "items": stepRef], "removed_steps": ["type": "array", "items": stepRef],
                "state_deltas": ["type": "object"], "fact_deltas": ["type": "object"], "derived_hash": string,
            ]),
        "RunSummary": object(required: summaryRequired, summaryProperties),
        "RunList": listPage(["$ref": "#/components/schemas/RunSummary"]),
        "RunSteps": object(
            required: ["run_id", "status", "steps"],
            ["run_id": string, "status": runStatus, "steps": ["type": "array", "items": ["$ref": "#/components/schemas/Checkpoint"]]]),
        "Checkpoint": object(
            required: [
                "step", "branch_id", "node", "state", "facts", "next_action", "output", "input_hash",
                "output_hash", "graph_hash", "rules_fired", "effects", "ts",
            ],
            [
                "step": count, "branch_id": string, "node": string, "state": ["type": "object"],
                "facts": [:], "next_action": [:], "output": [:], "input_hash": string, "output_hash": string,
                "graph_hash": string, "rules_fired": ["type": "array", "items": string], "effects": [:], "ts": string,
            ]),
        "GraphSummary": object(
            required: ["id", "graph_hash", "origin", "max_concurrency", "nodes"],
            [
                "id": string, "graph_hash": string, "origin": string,
                "max_concurrency": ["type": ["integer", "null"], "minimum": 1], "nodes": count,
            ]),
        "GraphList": listPage(["$ref": "#/components/schemas/GraphSummary"]),
        "GraphDetail": object(
            required: ["id", "graph_hash", "origin", "max_concurrency", "nodes", "state_schema", "rules", "max_steps", "source"],
            [
                "id": string, "graph_hash": string, "origin": string,
                "max_concurrency": ["type": ["integer", "null"], "minimum": 1],
                "nodes": ["type": "array", "items": object(required: ["id", "kind"], ["id": string, "kind": string])],
                "state_schema": ["type": "object", "additionalProperties": ["type": "object", "required": ["type"]]],
                "rules": count, "max_steps": ["type": ["integer", "null"], "minimum": 1], "source": string,
            ]),
        "Health": object(
            required: ["status", "version", "components"],
            ["status": ["const": "ok"], "version": string, "components": ["type": "object", "additionalProperties": component]]),
        "PluginList": object(
            required: ["plugins", "node_kinds"],
            [
                "plugins": ["type": "array", "items": object(
                    required: ["name", "version", "abi_version", "sha256", "file", "node_kinds", "graphs"],
                    [
                        "name": string, "version": string, "abi_version": string, "sha256": string, "file": string,
                        "node_kinds": ["type": "array", "items": ["type": "object"]],
                        "graphs": ["type": "array", "items": string],
                    ], closed: false)],
                "node_kinds": ["type": "array", "items": object(
                    required: ["name", "side_effecting", "provider"],
                    ["name": string, "side_effecting": ["type": "boolean"], "provider": string])],
            ]),
        "ArtifactList": listPage(object(
            required: ["artifact_id", "run_id", "step", "node", "name", "content_type", "size", "created_at"],
            [
                "artifact_id": ["type": "string", "pattern": "^sha256:[0-9a-f]{64}$"], "run_id": string,
                "step": count, "node": string, "name": string, "content_type": string, "size": count,
                "created_at": string,
            ])),
        "WebhookDeliveryList": listPage(object(
            required: ["webhook_id", "run_id", "seq", "event_type", "url", "status", "created_at", "next_attempt_at", "attempts"],
            [
                "webhook_id": string, "run_id": string, "seq": count, "event_type": string, "url": string,
                "status": ["enum": ["pending", "delivered", "failed"]], "created_at": string, "next_attempt_at": nullableString,
                "attempts": ["type": "array", "items": object(
                    required: ["attempt", "at", "status_code", "error", "duration_ms"],
                    [
                        "attempt": count, "at": string, "status_code": ["type": ["integer", "null"]],
                        "error": nullableString, "duration_ms": count,
                    ])],
            ])),
        "BrokerRequest": object(
            required: ["agent_id", "intent", "context"],
            [
                "agent_id": plainText(maxLength: BrokerRequest.maxAgentIdLength),
                "intent": plainText(maxLength: BrokerRequest.maxIntentLength),
                "context": object(
                    required: ["purpose"],
                    [
                        "purpose": plainText(maxLength: BrokerRequest.maxPurposeLength),
                        "data_types": [
                            "type": ["array", "null"], "maxItems": .number(Double(BrokerRequest.maxDataTypes)),
                            "items": plainText(maxLength: BrokerRequest.maxDataTypeLength),
                        ],
                    ], closed: false),
            ], examples: [["agent_id": "analyst-1", "intent": "summarise open incidents", "context": ["purpose": "support"]]]),
        "BrokerResponse": object(
            required: [
                "request_id", "data", "sources_queried", "sources_denied", "sources_skipped", "sources_errored",
                "denial_records", "rule_trace", "attestation_token", "duration_ms",
            ],
            [
                "request_id": string,
                "data": ["type": "object", "additionalProperties": ["type": "array", "items": ["type": "object"]]],
                "sources_queried": strings, "sources_denied": strings, "sources_skipped": strings,
                "sources_errored": ["type": "array", "items": object(required: ["source_id", "error"], ["source_id": string, "error": string])],
                "denial_records": ["type": "array", "items": object(
                    required: ["source_id", "rule", "reason"],
                    ["source_id": string, "rule": ["type": "string", "enum": ["unknown-agent", "clearance", "agent-purpose", "source-purpose"]], "reason": string])],
                "rule_trace": strings,
                "attestation_token": ["type": ["string", "null"], "description": "Compact JWS (EdDSA) over request_id, agent, purpose, sources_queried, sources_denied, data_sha256, iat."],
                "duration_ms": ["type": "number", "minimum": 0],
            ]),
        "BrokerSources": object(
            required: ["sources"],
            ["sources": ["type": "array", "items": object(
                required: ["id", "type", "description", "classification", "data_types", "allowed_purposes", "timeout_s", "max_rows"],
                [
                    "id": string, "type": ["type": "string", "enum": ["static", "sqlite", "rest"]], "description": string,
                    "classification": string, "data_types": strings, "allowed_purposes": strings,
                    "timeout_s": ["type": "number", "exclusiveMinimum": 0], "max_rows": ["type": "integer", "minimum": 1],
                ])]]),
        "AuditHead": object(
            required: ["seq", "sha256", "chain_sha256", "log_path", "signed", "key_id"],
            [
                "seq": count, "sha256": nullableString, "chain_sha256": nullableString, "log_path": string,
                "signed": ["type": "boolean"], "key_id": nullableString,
            ]),
        "JWKS": object(
            required: ["keys"],
            ["keys": ["type": "array", "items": object(
                required: ["kty", "crv", "x", "kid", "alg", "use"],
                ["kty": ["const": "OKP"], "crv": ["const": "Ed25519"], "x": string, "kid": string, "alg": ["const": "EdDSA"], "use": ["const": "sig"]])]]),
    ]

    private static let submissionProperties: [String: JSONValue] = [
        "graph_id": ["type": "string", "minLength": 1],
        "params": ["type": "object", "description": "Initial state; checked against the graph's state_schema."],
        "idempotency_key": ["type": ["string", "null"], "minLength": 1, "maxLength": 255],
        "graph_hash": ["type": ["string", "null"], "pattern": "^sha256:", "description": "Run only the graph that hashes so (409 otherwise)."],
        "webhook": [
            "type": ["object", "null"], "required": ["url"], "additionalProperties": false,
            "description": "POST the run's events to url, signed per Standard Webhooks; the host must be in the manifest's webhooks.allow (422 otherwise). Without it, the manifest's webhooks.default applies.",
            "properties": [
                "url": ["type": "string", "minLength": 1],
                "events": ["type": ["array", "null"], "minItems": 1, "items": ["type": "string"], "description": "Event types; default interrupt, run_cancelled, run_done, run_failed."],
            ],
        ],
    ]

    private static let summaryRequired = [
        "run_id", "status", "graph_id", "graph_hash", "graph_origin", "started_at", "finished_at", "created_at",
        "parent_run_id", "from_step", "error_class", "error_cause", "steps", "state",
    ]

    private static let summaryProperties: [String: JSONValue] = [
        "run_id": string, "status": runStatus, "graph_id": string, "graph_hash": string,
        "graph_origin": ["type": "string", "description": "Where the run's graph text came from: a file or plugin, or `database` for a graph found through the database."],
        "started_at": nullableString, "finished_at": nullableString, "created_at": string,
        "parent_run_id": nullableString, "from_step": ["type": ["integer", "null"], "minimum": 0],
        "error_class": nullableString, "error_cause": nullableString,
        "steps": ["type": "integer", "minimum": 0], "state": ["type": "object"],
    ]

    /// The shape of every list route (``ListPage``), holding `item`s.
    private static func listPage(_ item: JSONValue) -> JSONValue {
        object(
            required: ["items", "next_cursor", "total", "limit"],
            [
                "items": ["type": "array", "items": item],
                "next_cursor": ["type": ["string", "null"], "description": "Pass as ?cursor= for the next page; null on the last page."],
                "total": count, "limit": ["type": ["integer", "null"], "minimum": 1],
            ])
    }

    private static let string: JSONValue = ["type": "string"]
    private static let strings: JSONValue = ["type": "array", "items": ["type": "string"]]
    private static let nullableString: JSONValue = ["type": ["string", "null"]]
    private static let count: JSONValue = ["type": "integer", "minimum": 0]
    private static let runStatus: JSONValue = ["type": "string", "enum": .array(RunStatus.allCases.map { .string($0.rawValue) })]
    private static let component: JSONValue = object(
        required: ["status", "detail"],
        ["status": ["type": "string", "enum": ["ok", "unconfigured", "error"]], "detail": nullableString])

    /// A broker request's text field: non-empty, at most `maxLength` characters, and no control
    /// characters other than tab (``BrokerRequest`` refuses them).
    private static func plainText(maxLength: Int) -> JSONValue {
        ["type": "string", "minLength": 1, "maxLength": .number(Double(maxLength)), "pattern": "^[^\\u0000-\\u0008\\u000A-\\u001F]*$"]
    }

    private static func object(
        required: [String], _ properties: [String: JSONValue], closed: Bool = true, examples: [JSONValue] = []
    ) -> JSONValue {
        var schema: [String: JSONValue] = [
            "type": "object", "required": .array(required.map(JSONValue.string)),
            "properties": .object(properties), "additionalProperties": .bool(!closed),
        ]
        if !examples.isEmpty { schema["examples"] = .array(examples) }
        return .object(schema)
    }
}
