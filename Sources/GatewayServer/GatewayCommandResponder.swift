import GatewayModel

/// Answers client commands in place of the server's own answers. `replay` uses it to send the
/// recorded GUILD_MEMBERS_CHUNK and voice events when the live bot asks for them.
public protocol GatewayCommandResponder: Sendable {
    /// The dispatches to send (in order) in answer to an op 8 or op 4 from a connection of `sessionID`,
    /// or `nil` to let the server answer from its fixture.
    func responses(to op: GatewayOpcode, data: JSONValue, sessionID: String, shard: [Int]?) -> [(event: String, data: JSONValue)]?
}
