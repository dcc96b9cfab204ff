import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import ServiceLifecycle
import StargraphCore
import StargraphStore
import Synchronization

/// Sends the webhook outbox's deliveries: a service of `stargraph serve` that leases due
/// deliveries, POSTs each signed event, and records every attempt with its outcome.
///
/// It looks for due deliveries when its ``WebhookWakeup`` says runs wrote events (at most
/// every ``minimumPassInterval``) and every ``pollInterval`` for retries. Delivery is at least
/// once: a delivery leased by a process that died is sent again after its lease, so receivers
/// drop repeats by `webhook-id`. Events of one run may arrive out of order when one is retried.
/// A run never waits for its webhook: the events are committed before they are sent.
package final class WebhookDeliverer: Service, Sendable {
    private let outbox: any WebhookOutbox
    private let policy: WebhookPolicy
    private let logger: Logger
    private let wakeup: WebhookWakeup
    private let inFlight = Mutex(0)
    private let attempts: (delivered: Counter, retried: Counter, failed: Counter)

    /// How often due retries are looked for when nothing else wakes the deliverer.
    package static let pollInterval: Duration = .seconds(1)
    /// The shortest time between two looks, so a busy server reads the outbox a few times a
    /// second, not once per committed step.
    package static let minimumPassInterval: Duration = .milliseconds(50)
    /// The most attempts in flight at once.
    package static let maximumInFlight = 16
    /// The most of a receiver's answer that is read (and then dropped).
    private static let maximumResponseBytes = 64 * 1024

    /// A deliverer of `outbox` under `policy`, woken by `wakeup` (the event sink of the engine
    /// that writes the outbox's runs).
    package init(outbox: any WebhookOutbox, policy: WebhookPolicy, wakeup: WebhookWakeup, logger: Logger) {
        self.outbox = outbox
        self.policy = policy
        self.wakeup = wakeup
        self.logger = logger
        let label = "stargraph_webhook_attempts_total"
        attempts = (
            Counter(label: label, dimensions: [("outcome", "delivered")]),
            Counter(label: label, dimensions: [("outcome", "retry")]),
            Counter(label: label, dimensions: [("outcome", "failed")]))
    }

    /// Delivers until graceful shutdown. Attempts in flight then are abandoned unrecorded; their
    /// leases end and the next start sends them again.
    package func run() async throws {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, decompression: .disabled)
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: .singletonMultiThreadedEventLoopGroup, configuration: configuration)
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.tick() }
                for await _ in self.wakeup.stream {
                    await self.pass(client: client, group: &group)
                    guard (try? await Task.sleep(for: Self.minimumPassInterval)) != nil else { break }
                }
                group.cancelAll()
            }
        }
        try? await client.shutdown()
    }

    private func tick() async {
        while (try? await Task.sleep(for: Self.pollInterval)) != nil { wakeup.wake() }
        wakeup.finish()
    }

    /// Leases what is due, up to the free in-flight slots, and starts an attempt for each.
    private func pass(client: HTTPClient, group: inout DiscardingTaskGroup) async {
        let free = Self.maximumInFlight - inFlight.withLock { $0 }
        guard free > 0 else { return }
        let now = Date()
        let leased: [LeasedWebhookDelivery]
        do {
            leased = try await outbox.leaseDueWebhookDeliveries(
                now: now, leaseUntil: now.addingTimeInterval((policy.attemptTimeout + .seconds(30)).timeInterval), limit: free)
        } catch {
            logger.warning("webhook outbox could not be read; retrying", metadata: ["error": "\(error)"])
            return
        }
        for delivery in leased {
            inFlight.withLock { $0 += 1 }
            group.addTask {
                await self.attempt(delivery, client: client)
                self.inFlight.withLock { $0 -= 1 }
                self.wakeup.wake()
            }
        }
    }

    /// One attempt: checks the URL against the allow-list again (the manifest may have changed
    /// since the run was accepted), POSTs, and records the outcome.
    private func attempt(_ delivery: LeasedWebhookDelivery, client: HTTPClient) async {
        let event = delivery.event
        let started = ContinuousClock.now
        let at = Date()
        var statusCode: Int?
        var failure: String?
        let outcome: WebhookAttemptOutcome
        if let refusal = policy.allowList.refusal(of: delivery.url) {
            failure = refusal
            outcome = .failed
        } else {
            do {
                statusCode = try await post(delivery, client: client)
                if let code = statusCode, !(200..<300).contains(code) { failure = "the receiver answered HTTP \(code)" }
            } catch {
                if Task.isCancelled { return }
                failure = Self.describe(error)
            }
            outcome = failure == nil ? .delivered : retryOrFail(delivery, at: at)
        }
        let elapsed = ContinuousClock.now - started
        let record = WebhookAttempt(
            number: delivery.attemptNumber, at: at, statusCode: statusCode, error: failure,
            durationMilliseconds: Int(elapsed.timeInterval * 1000))
        do {
            try await outbox.recordWebhookAttempt(runId: event.runId, seq: event.seq, record, outcome: outcome)
        } catch {
            logger.warning("webhook attempt could not be recorded; it is sent again after its lease", metadata: [
                "run_id": "\(event.runId)", "seq": "\(event.seq)", "error": "\(error)",
            ])
            return
        }
        switch outcome {
        case .delivered: attempts.delivered.increment()
        case .retry: attempts.retried.increment()
        case .failed:
            attempts.failed.increment()
            logger.warning("webhook delivery failed for good", metadata: [
                "run_id": "\(event.runId)", "seq": "\(event.seq)", "attempts": "\(delivery.attemptNumber)", "error": "\(failure ?? "")",
            ])
        }
    }

    /// A retry at the next backoff time, or `.failed` past the retry period.
    private func retryOrFail(_ delivery: LeasedWebhookDelivery, at: Date) -> WebhookAttemptOutcome {
        var random = SystemRandomNumberGenerator()
        return policy.retry.nextAttempt(afterAttempt: delivery.attemptNumber, now: at, createdAt: delivery.event.ts, using: &random)
            .map(WebhookAttemptOutcome.retry) ?? .failed
    }

    /// POSTs the signed event and returns the receiver's status.
    private func post(_ delivery: LeasedWebhookDelivery, client: HTTPClient) async throws -> Int {
        let body = WebhookPayload.body(event: delivery.event, run: delivery.run)
        let id = WebhookPayload.messageId(runId: delivery.event.runId, seq: delivery.event.seq)
        let timestamp = Int(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: delivery.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "stargraph-webhooks")
        request.headers.add(name: "webhook-id", value: id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: policy.signer.signature(id: id, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        let deadline = NIODeadline.now() + .nanoseconds(Int64(policy.attemptTimeout.timeInterval * 1e9))
        let response = try await client.execute(request, deadline: deadline)
        _ = try? await response.body.collect(upTo: Self.maximumResponseBytes)
        return Int(response.status.code)
    }

    /// What went wrong, in a receiver operator's words.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            return error == .deadlineExceeded ? "no answer within the attempt timeout" : "the request failed (\(error.shortDescription))"
        }
        return "the request failed (\(error))"
    }
}
