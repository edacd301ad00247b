import GatewayDiff
import Testing

/// One side analysed alone (what `report` shows) agrees with the comparison's view of it.
@Suite struct BehaviourAnalysisTests {
    @Test(arguments: ["baseline", "sharded"])
    func agreesWithTheComparison(_ name: String) throws {
        let side = try behaviour(recording(name))
        let analysis = BehaviourAnalysis(side)
        let report = BehaviourComparison.compare(side, side)
        #expect(analysis.timing == report.a.timing)
        #expect(analysis.hints == report.hints.filter { $0.side == "a" })
        #expect(Set(analysis.shardOfConnection.keys) == Set(side.connections.map(\.id)))
        let shards = Set(analysis.shardOfConnection.values)
        #expect(shards == (name == "sharded" ? [0, 1] : [0]))
    }

    @Test func routeLabelsReplaceSnowflakesAndDropTheQuery() {
        #expect(
            BehaviourAnalysis.routeLabel(method: "POST", path: "/api/v10/channels/1100000000000000101/messages?wait=true")
                == "POST /api/v10/channels/{id}/messages")
        #expect(BehaviourAnalysis.routeLabel(method: "GET", path: "/api/v10/users/@me") == "GET /api/v10/users/@me")
    }
}
