import ArgumentParser
import Foundation
import StargraphHost
import StargraphCore
import StargraphStore
import StargraphAudit

/// `--audit-signing-key`, for every command that writes an audit log.
struct AuditSigningOptions: ParsableArguments {
    @Option(name: .customLong("audit-signing-key"), help: "Ed25519 private key file (made by `stargraph audit-key`) that signs every audit record.", completion: .file())
    var signingKey: String?

    /// The key file, refused (exit 2) when no audit log is written for it to sign.
    func keyPath(signing log: String?, logFlag: String) throws -> String? {
        guard let signingKey else { return nil }
        guard log != nil else { throw UsageError(message: "--audit-signing-key signs the audit log: pass \(logFlag) PATH as well") }
        return signingKey
    }
}

/// `stargraph verify-audit LOG`: checks an audit log's chain, and its anchors and signatures
/// when asked to.
struct VerifyAuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-audit",
        abstract: "Verify an audit log; exit 0 when every check passed, 2 naming the first bad record.",
        discussion: "Always checks the hash chain. --db also checks the log against the heads its writers anchored in that database (catches a log cut short or rewritten with recomputed hashes); --public-key checks every record's Ed25519 signature (catches records written without the key). Prints one line per check.")

    @Argument(help: "The JSONL audit log.", completion: .file())
    var log: String

    @Option(name: .customLong("db"), help: "Database (a SQLite file path, sqlite:PATH, or a postgresql:// URL) the log's writers anchored its head in.", completion: .file())
    var database: String?

    @Option(name: .customLong("public-key"), help: "The signing key's public half: a JWK Set (GET /v1/audit/jwks.json, `stargraph audit-key`), a JWK, or base64 of the 32 raw bytes.", completion: .file())
    var publicKey: String?

    func run() async throws {
        guard FileManager.default.fileExists(atPath: log) else {
            throw UsageError(message: "no audit log at \(log)")
        }
        let key = try publicKey.map { try Ed25519KeyFile.publicKey(path: $0) }
        let store: (any HostStore)? = if let database { try await StargraphRuntime.openStore(database) } else { nil }
        let report = try await AuditVerifier.report(path: log, publicKey: key, anchors: store)
        for check in report.passed { print("\(check.name): ok, \(check.detail)") }
        if key == nil { print("signatures: not checked (no --public-key)") }
        if store == nil { print("anchors from DB: not checked (no --db)") }
        if let failure = report.failure {
            printError("\(failure.check): broken at line \(failure.line)\(failure.seq.map { " (seq \($0))" } ?? ""): \(failure.reason)")
            throw ExitCode(CLIFailure.usage)
        }
        print("ok \(report.records) records")
    }
}

/// `stargraph audit-key KEY_FILE`: creates an audit signing key (or reads an existing one) and
/// prints its public half.
struct AuditKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit-key",
        abstract: "Create an Ed25519 audit signing key (mode 0600) unless KEY_FILE exists; print its public key as a JWK Set.",
        discussion: "Pass KEY_FILE to `serve --audit-signing-key` or `run --audit-signing-key`; give the printed JWK Set to whoever verifies the log (`verify-audit --public-key`).")

    @Argument(help: "The private key file.", completion: .file())
    var keyFile: String

    func run() throws {
        let (key, created) = try Ed25519KeyFile.loadOrCreate(path: keyFile)
        if created { printError("created \(keyFile) (mode 0600); keep it secret, and give out the public key below") }
        print(CanonicalJSON.encode(Ed25519KeyFile.jwks(key.publicKey)))
    }
}
