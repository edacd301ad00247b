import NIOCore

#if canImport(Glibc)
import Glibc
#endif

extension Channel {
    /// Cuts the TCP connection with no close frame: SO_LINGER 0 turns close() into a reset, so the peer
    /// sees the connection cut, not closed.
    package func closeWithReset() {
        guard let socket = self as? any SocketOptionProvider else { return close(promise: nil) }
        socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in self.close(promise: nil) }
    }
}
