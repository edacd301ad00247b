import ArgumentParser
import GatewayProxy
import GatewayRecording
import GatewayServer

/// `gatewaytape proxy`: sit between a bot and the real Discord, forward both ways, record everything.
struct Proxy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Forward a bot's REST calls and gateway connections to Discord, recording everything.",
        discussion: """
            Point the bot's REST base at http://HOST:PORT/api/v10 and its gateway URL at ws://HOST:PORT, as with \
            serve. Each REST call goes to --upstream with the same method, path, query, headers and body; each \
            gateway connection gets its own upstream connection (a RESUME goes where the upstream said that \
            session resumes). Faults from the control API and --scenario rules act on the bot's side; a rule \
            on a frame of the bot acts before the frame is forwarded, and a close or op 9 it sends replaces \
            forwarding it. Events of the proxy's own are refused (the upstream owns the session's events): \
            dispatch and interactions answer 409, and a scenario with a dispatch or interaction action exits 2.

            Prints "listening on http://HOST:PORT" once ready. SIGINT/SIGTERM close connections with 1001, \
            flush the recording and exit 0.

            Examples:
              gatewaytape proxy --record run.sqlite
              gatewaytape proxy --upstream https://127.0.0.1:9443 --upstream-ca ca.pem --port 0 --record run.sqlite
              gatewaytape proxy --scenario recordings/scenarios/identify-rejected-twice.yaml --record run.sqlite
            """
    )

    @Option(help: ArgumentHelp("Discord's REST base URL.", valueName: "url"))
    var upstream = "https://discord.com"

    @Option(name: .customLong("upstream-gateway"), help: ArgumentHelp("The upstream gateway URL (default: the url of the upstream's GET /api/v10/gateway).", valueName: "url"))
    var upstreamGateway: String?

    @Option(name: .customLong("upstream-ca"), help: ArgumentHelp("PEM CA certificate(s) trusted for the upstream besides the system's.", valueName: "pem"))
    var upstreamCA: String?

    @OptionGroup var server: ServerOptions

    @Option(name: .customLong("control-token"), help: ArgumentHelp("Require 'Authorization: Bearer T' on every control API call.", valueName: "T"))
    var controlToken: String?

    @Option(help: ArgumentHelp("Record every frame (as the bot saw it), connection, REST call and control action into this SQLite file.", valueName: "file"))
    var record: String?

    @Flag(help: "Replace the --record file if it exists.")
    var overwrite = false

    @OptionGroup var scenario: ScenarioOption

    func run() async throws {
        let scenario = try scenario.load(forProxy: true)
        var configuration = GatewayProxyConfiguration()
        do throws(UpstreamURLError) {
            configuration.upstream = try UpstreamURL(upstream, schemes: ["http", "https"])
            configuration.upstreamGateway = try upstreamGateway.map { url throws(UpstreamURLError) in try UpstreamURL(url, schemes: ["ws", "wss"]) }
        } catch {
            throw fail("bad upstream URL \(error)", status: ExitStatus.badInput)
        }
        if let upstreamCA {
            do throws(TLSFileError) { configuration.upstreamCACertificates = try GatewayProxyConfiguration.certificates(pemFile: upstreamCA) } catch {
                throw fail("bad --upstream-ca \(error)", status: ExitStatus.badInput)
            }
        }
        var recorder: Recorder?
        if let record {
            do {
                recorder = try Recorder(path: record, mode: .proxy, source: configuration.source, overwrite: overwrite)
            } catch {
                throw fail("\(error)", status: ExitStatus.badInput)
            }
        }
        configuration.server = GatewayServerConfiguration(
            host: server.host, port: server.port, controlToken: controlToken, rateLimit: false, recordingSink: recorder,
            scenario: scenario)
        let proxy: GatewayProxy
        do { proxy = try GatewayProxy(configuration: configuration, logger: makeLogger()) } catch {
            throw fail("cannot set up TLS for the upstream: \(error)", status: ExitStatus.badInput)
        }
        try await runServer(proxy.server, recorder: recorder, running: proxy)
    }
}
