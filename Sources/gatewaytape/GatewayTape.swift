import ArgumentParser

/// The `gatewaytape` command: a Discord Gateway (v10) mock server that records, replays and diffs.
@main
struct GatewayTape: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatewaytape",
        abstract: "A Discord Gateway (API v10) server for testing bots: record, replay, diff.",
        discussion: """
            Point your bot's gateway and REST base URLs at gatewaytape. It speaks the real protocol, \
            records every frame into SQLite, replays recorded sessions with faults intact, and diffs \
            how two runs of a bot behaved.

            Exit status: 0 ok, 1 differs / verification failed, 2 bad usage or input file, \
            3 runtime failure (for example the port is in use).
            """,
        subcommands: [Serve.self, Proxy.self, Replay.self, Inspect.self, Export.self, Import.self, Diff.self, Report.self]
    )
}
