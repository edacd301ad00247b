import NIOCore
import NIOHTTP1

extension GatewayServer {
    /// Serves the gateway on a connection the host application upgraded to WebSocket itself (the
    /// counterpart of `handleUpgrade`): call it from `NIOWebSocketServerUpgrader`'s
    /// `upgradePipelineHandler`, on the channel's event loop, with the upgrade request.
    ///
    /// ```swift
    /// let upgrader = NIOWebSocketServerUpgrader(
    ///     shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
    ///     upgradePipelineHandler: { channel, request in
    ///         channel.eventLoop.makeCompletedFuture { try gateway.acceptUpgradedConnection(channel, request: request) }
    ///     })
    /// ```
    /// The server need not be running (`run()`) for connections handed over this way; its sessions,
    /// control operations and recording sink apply to them as to its own.
    /// - Parameters:
    ///   - channel: the upgraded channel, with NIO's WebSocket frame decoder in its pipeline.
    ///   - request: the upgrade request (its query string: `v`, `encoding`, `compress`; its `Host`).
    public func acceptUpgradedConnection(_ channel: any Channel, request: HTTPRequestHead) throws {
        let handler = GatewayChildChannel.makeConnectionHandler(server: self, channel: channel, head: request)
        try channel.pipeline.syncOperations.addHandler(handler)
    }
}
