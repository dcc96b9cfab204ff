import Foundation
import Testing
@testable import StargraphCore
@testable import StargraphEngine
@testable import StargraphPlugins
@testable import StargraphStore
@testable import StargraphWebhooks

@Suite("Webhooks")
struct WebhookTests {
    @Test("signatures match the Standard Webhooks specification's example")
    func signatureMatchesSpecification() throws {
        let signer = try #require(WebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(WebhookSigner(secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?.signature(id: "a", timestamp: 1, body: []) == signer.signature(id: "a", timestamp: 1, body: []))
        #expect(signer.signature(id: "msg_other", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8)) != signature)
        #expect(WebhookSigner(secret: "whsec_not base64!") == nil)
        #expect(WebhookSigner(secret: "whsec_c2hvcnQ=") == nil, "a key under 16 bytes is refused")
    }

    @Test("the allow-list admits its hosts and ports only, never credentials or other schemes")
    func allowList() throws {
        let list = WebhookAllowList(try ["127.0.0.1", "hooks.example.com:8443", "*.corp.example", "[::1]:9000"].map { try #require(WebhookAllowList.Entry($0)) })
        #expect(list.refusal(of: "http://127.0.0.1:4000/hook") == nil)
        #expect(list.refusal(of: "https://HOOKS.example.com:8443/x") == nil)
        #expect(list.refusal(of: "https://a.b.corp.example/x") == nil)
        #expect(list.refusal(of: "http://[::1]:9000/") == nil)
        #expect(list.refusal(of: "https://hooks.example.com/x")?.contains("hooks.example.com:443 is not in") == true)
        #expect(list.refusal(of: "https://corp.example/x") != nil, "*.domain is subdomains only")
        #expect(list.refusal(of: "http://evilcorp.example/x") != nil)
        #expect(list.refusal(of: "http://[::1]:9001/") != nil)
        #expect(list.refusal(of: "http://127.0.0.2/") != nil)
        #expect(list.refusal(of: "ftp://127.0.0.1/")?.contains("not an absolute http or https URL") == true)
        #expect(list.refusal(of: "/relative") != nil)
        #expect(list.refusal(of: "http://user:pw@127.0.0.1/")?.contains("credentials") == true)
        for bad in ["", "host:0", "host:x", "a b", "[::1", "*."] { #expect(WebhookAllowList.Entry(bad) == nil, "\(bad)") }
    }

    @Test("a subscription names known event types and an allowed URL")
    func subscriptions() throws {
        let list = WebhookAllowList([try #require(WebhookAllowList.Entry("127.0.0.1"))])
        #expect(try list.subscription(url: "http://127.0.0.1/h", events: nil).events == WebhookAllowList.defaultEvents.sorted())
        #expect(try list.subscription(url: "http://127.0.0.1/h", events: ["step", "custom.progress", "step"]).events == ["custom.progress", "step"])
        #expect(throws: WebhookRefusal.unknownEvent("run_finished")) { try list.subscription(url: "http://127.0.0.1/h", events: ["run_finished"]) }
        #expect(throws: WebhookRefusal.unknownEvent("custom.")) { try list.subscription(url: "http://127.0.0.1/h", events: ["custom."]) }
        #expect(throws: WebhookRefusal.noEvents) { try list.subscription(url: "http://127.0.0.1/h", events: []) }
        #expect(throws: WebhookRefusal.self) { try list.subscription(url: "http://10.0.0.1/h", events: nil) }
    }

    @Test("every lifecycle event the engine writes can be subscribed to")
    func lifecycleTypesCoverTheEngine() {
        let events: [RunEvent] = [
            .runCreated(graphHash: "h", inputs: [:]), .runForked(parentRunId: "p", fromStep: 0, mutation: [:]), .runStarted,
            .runResumed, .runPaused, .step(node: "n", nextAction: .null, changed: []),
            .interrupt(InterruptSpec(prompt: "p", payload: .null, timeoutSeconds: nil)), .inputReceived(response: .null),
            .interruptTimedOut, .runFinished(status: .done, reason: nil), .runFinished(status: .failed, reason: nil),
            .runFinished(status: .cancelled, reason: nil),
        ]
        #expect(Set(events.map(\.type)) == Set(RunEvent.lifecycleTypes))
        #expect(RunEvent.custom(node: "n", type: "progress", payload: .null).type == "custom.progress")
    }

    @Test("retries back off exponentially with jitter, up to the cap, for the retry period")
    func retrySchedule() {
        let retry = WebhookRetry(initialDelay: .seconds(1), maximumDelay: .seconds(8), retryPeriod: .seconds(60))
        #expect((1...6).map { retry.backoff(afterAttempt: $0) } == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8)])
        var random = SystemRandomNumberGenerator()
        let created = Date(timeIntervalSince1970: 1_800_000_000)
        for attempt in 1...5 {
            let delay = retry.backoff(afterAttempt: attempt).timeInterval
            let next = retry.nextAttempt(afterAttempt: attempt, now: created, createdAt: created, using: &random)
            let waited = try? #require(next).timeIntervalSince(created)
            #expect(waited.map { $0 >= delay / 2 && $0 <= delay } == true, "attempt \(attempt) waits \(String(describing: waited))")
        }
        #expect(retry.nextAttempt(afterAttempt: 9, now: created.addingTimeInterval(59), createdAt: created, using: &random) == nil,
                "no retry is scheduled past the retry period")
    }

    @Test("the manifest's webhooks section is checked at file:line:column")
    func manifestSection() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sg-webhooks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("good.yaml").path
        try """
            webhooks:
              secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
              allow: ["127.0.0.1:8080"]
              default: {url: "http://127.0.0.1:8080/hook", events: [run_done]}
              initial_backoff_ms: 250
              timeout_ms: 2000
            """.write(toFile: good, atomically: true, encoding: .utf8)
        let policy = try #require(try Manifest.load(path: good).webhooks)
        #expect(policy.defaultSubscription == WebhookSubscription(url: "http://127.0.0.1:8080/hook", events: ["run_done"]))
        #expect(policy.retry.initialDelay == .milliseconds(250) && policy.attemptTimeout == .seconds(2))
        #expect(try Manifest.load(path: good).webhooks?.allowList.refusal(of: "http://127.0.0.1:8081/") != nil)

        let bad = folder.appendingPathComponent("bad.yaml").path
        try """
            webhooks:
              secret_env: SG_TEST_UNSET_WEBHOOK_SECRET
              allow: ["127.0.0.1", "not a host"]
              default: {url: "http://10.0.0.1/hook"}
              retries: 3
            """.write(toFile: bad, atomically: true, encoding: .utf8)
        #expect {
            _ = try Manifest.load(path: bad)
        } throws: { error in
            let lines = (error as! GraphLoadErrors).errors.map { "\($0.line):\($0.column): \($0.message)" }
            let expected = [
                "2:15: webhooks.secret_env names SG_TEST_UNSET_WEBHOOK_SECRET, which is not set",
                "3:24: webhooks.allow entry 'not a host' is not a host",
                "4:18: webhooks.default: webhook.url cannot be used: 10.0.0.1:80 is not in the manifest's webhooks.allow list",
                "5:3: unknown key 'retries' in webhooks",
            ]
            return lines.count == expected.count && zip(lines, expected).allSatisfy { $0.hasPrefix($1) }
        }
    }

    @Test("without a webhooks section, a run asking for a webhook is refused and nothing is stored")
    func webhooksOff() async throws {
        try await ServeTestHarness.with { server in
            let refused = try await server.request(
                "POST", "/v1/runs", body: #"{"graph_id": "run:hello-stargraph", "params": {"message": "m"}, "webhook": {"url": "http://127.0.0.1/h"}}"#)
            let problem = try refused.problem(422)
            #expect(problem["detail"]?.stringValue?.contains("webhooks are off") == true)
            #expect(try await server.request("GET", "/v1/runs").json()["total"]?.intValue == 0)

            let posted = try await server.request("POST", "/v1/runs", body: #"{"graph_id": "run:hello-stargraph", "params": {"message": "m"}}"#)
            let runId = try #require(try posted.json()["run_id"]?.stringValue)
            _ = try await server.waitForRun(runId)
            let listed = try await server.request("GET", "/v1/runs/\(runId)/webhooks").json()
            #expect(listed["items"] == .array([]) && listed["total"]?.intValue == 0)
            _ = try await server.request("GET", "/v1/runs/run-missing/webhooks").problem(404)
        }
    }
}
