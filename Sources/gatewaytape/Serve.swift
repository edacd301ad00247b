import ArgumentParser
import Foundation
import GatewayModel
import GatewayRecording
import GatewayScenario
import GatewayServer
import Logging
import NIOSSL
import ServiceLifecycle
import UnixSignals

/// `gatewaytape serve`: the mock gateway, REST subset and control API on one port.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the mock gateway, REST subset and control API on one port.",
        discussion: """
            Point the bot's gateway URL at ws://HOST:PORT and its REST base at http://HOST:PORT/api/v10. \
            The first IDENTIFY with an unknown token creates a session for it (unless --strict-tokens); \
            drive faults through the control API at http://HOST:PORT/api/control (see README).

            Prints "listening on http://HOST:PORT" once ready. SIGINT/SIGTERM close connections with 1001, \
            flush the recording and exit 0.

            Examples:
              gatewaytape serve
              gatewaytape serve --port 0 --record run.sqlite --heartbeat-interval 5000
              gatewaytape serve --fixture my-guilds.json --strict-tokens --control-token s3cret
              gatewaytape serve --scenario recordings/scenarios/resume-refused.yaml --record run.sqlite
            """
    )

    @OptionGroup var server: ServerOptions

    @Option(name: .customLong("heartbeat-interval"), help: ArgumentHelp("HELLO's heartbeat_interval in milliseconds.", valueName: "ms"))
    var heartbeatInterval: Int = 41_250

    @Option(help: ArgumentHelp("A JSON fixture (user, application, guilds, approved_intents); see README. Default: the built-in fixture.", valueName: "file"))
    var fixture: String?

    @Flag(name: .customLong("strict-tokens"), help: "Accept only tokens of sessions created through the control API (others: close 4004, REST 401).")
    var strictTokens = false

    @Option(name: .customLong("control-token"), help: ArgumentHelp("Require 'Authorization: Bearer T' on every control API call.", valueName: "T"))
    var controlToken: String?

    @Flag(name: .customLong("no-rate-limit"), help: "Do not close connections that send more than 120 commands in 60 s (4008).")
    var noRateLimit = false

    @Option(help: ArgumentHelp("Record every frame, connection, control action and REST call into this SQLite file.", valueName: "file"))
    var record: String?

    @Flag(help: "Replace the --record file if it exists.")
    var overwrite = false

    @OptionGroup var scenario: ScenarioOption
    @OptionGroup var tls: TLSOptions

    func validate() throws {
        guard heartbeatInterval >= 1 else { throw ValidationError("--heartbeat-interval must be a positive number of milliseconds") }
    }

    func run() async throws {
        let fixture = try loadFixture(fixture)
        let scenario = try scenario.load()
        var recorder: Recorder?
        if let record {
            do {
                recorder = try Recorder(path: record, mode: .serve, source: nil, overwrite: overwrite)
            } catch {
                throw fail("\(error)", status: ExitStatus.badInput)
            }
        }
        let configuration = GatewayServerConfiguration(
            host: server.host, port: server.port, heartbeatInterval: heartbeatInterval, fixture: fixture,
            strictTokens: strictTokens, controlToken: controlToken, rateLimit: !noRateLimit, recordingSink: recorder,
            scenario: scenario, tlsContext: try tls.context())
        try await runServer(GatewayServer(configuration: configuration, logger: makeLogger()), recorder: recorder)
    }
}

/// `--host` and `--port`, shared by the serving commands.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to bind. The control API is reachable wherever the server is.")
    var host = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free port (printed in the listening line).")
    var port = 8765

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }
}

/// `--tls-cert` and `--tls-key`: the port speaks HTTPS/WSS.
struct TLSOptions: ParsableArguments {
    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("A PEM certificate chain (leaf first): serve HTTPS and WSS. Needs --tls-key.", valueName: "pem"))
    var certificate: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The certificate's PEM private key (PKCS#8, RSA or EC).", valueName: "pem"))
    var key: String?

    func validate() throws {
        guard (certificate == nil) == (key == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
    }

    /// The server's TLS context, or nil without a certificate. A bad file exits 2 with one line.
    func context() throws -> NIOSSLContext? {
        guard let certificate, let key else { return nil }
        do throws(TLSFileError) {
            return try GatewayServerConfiguration.tlsContext(certificateChain: certificate, privateKey: key)
        } catch {
            throw fail("bad TLS file \(error)", status: ExitStatus.badInput)
        }
    }
}

/// Reads a fixture file, or the built-in fixture without one. A bad file exits 2 with one line.
func loadFixture(_ path: String?) throws -> Fixture {
    guard let path else { return .default }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw fail("cannot read fixture \(path): no such file or not readable", status: ExitStatus.badInput)
    }
    do {
        return try Fixture(parsing: [UInt8](data))
    } catch {
        throw fail("bad fixture \(path): \(error.description) (schema: README, section Fixtures)", status: ExitStatus.badInput)
    }
}

/// `--scenario FILE`, shared by the serving commands.
struct ScenarioOption: ParsableArguments {
    @Option(
        name: .customLong("scenario"),
        help: ArgumentHelp("Arm this scenario (JSON or YAML rules that fire faults when the bot acts) on every session; see README.", valueName: "file"))
    var path: String?

    /// The scenario, or `nil` without the option. A bad file exits 2 with the rule and field; with
    /// `forProxy`, so does a rule that makes events of its own (`dispatch`, `interaction`).
    func load(forProxy: Bool = false) throws -> Scenario? {
        guard let path else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw fail("cannot read scenario \(path): no such file or not readable", status: ExitStatus.badInput)
        }
        do throws(ScenarioError) {
            let scenario = try Scenario(parsing: [UInt8](data))
            if forProxy { try scenario.checkForProxy() }
            return scenario
        } catch {
            throw fail("bad scenario \(path): \(error.description)", status: ExitStatus.badInput)
        }
    }
}

/// Logs go to stderr; stdout carries only the listening line.
func makeLogger() -> Logger {
    var logger = Logger(label: "gatewaytape") { label in StreamLogHandler.standardError(label: label) }
    logger.logLevel = ProcessInfo.processInfo.environment["GATEWAYTAPE_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    return logger
}

/// Runs a server until SIGINT/SIGTERM: prints the listening line, then on a signal closes connections
/// with 1001 and flushes the recording. A port in use exits 3. `service` is what runs the server
/// (the server itself, or a proxy around it).
func runServer(_ server: GatewayServer, recorder: Recorder?, alongside extra: [any Service] = [], running service: (any Service)? = nil) async throws {
    let announcer = ListeningAnnouncer(server: server)
    let group = ServiceGroup(configuration: .init(
        services: [.init(service: service ?? server)] + extra.map { .init(service: $0) } + [.init(service: announcer)],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: makeLogger()))
    var failure: (any Error)?
    do { try await group.run() } catch { failure = error }
    if let recorder {
        do throws(RecordingError) { try await recorder.finish() } catch {
            throw fail("recording \(recorder.path) could not be completed: \(error)", status: ExitStatus.runtimeFailure)
        }
    }
    if let failure {
        throw fail("cannot serve on \(server.configuration.host):\(server.configuration.port): \(failure)", status: ExitStatus.runtimeFailure)
    }
}

/// Prints `listening on http://HOST:PORT` once the server is bound, then waits for shutdown.
struct ListeningAnnouncer: Service {
    let server: GatewayServer

    func run() async throws {
        let port = try await server.listeningPort()
        let scheme = server.configuration.tlsContext == nil ? "http" : "https"
        FileHandle.standardOutput.write(Data("listening on \(scheme)://\(server.configuration.host):\(port)\n".utf8))
        try? await gracefulShutdown()
    }
}
