import HTTPTypes
import Hummingbird

/// Answers the requests no route took (REST calls never get here: `RESTChannelHandler` answers those in
/// Discord's shape): 405 `{error}` with `Allow` for a known path with another method, else 404
/// `{error}` naming the method and path. Added to the router after every route, so it wraps only
/// Hummingbird's not-found responder (which would answer an empty 404) and costs matched routes nothing.
struct UnmatchedRouteMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    /// The router's routes (method, path), read once every route is added.
    let routes: [(method: HTTPRequest.Method, path: RouterPath)]

    init(routes: [Router<BasicRequestContext>.RouteDescription]) {
        self.routes = routes.map { ($0.method, $0.path) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let allowed = routes.filter { Self.path($0.path, matches: segments) }.map(\.method.rawValue)
        let what = path.hasPrefix("/api/control/") || path == "/api/control" ? "control route" : "route"
        guard allowed.isEmpty else {
            var response = JSONResponse.error(
                .methodNotAllowed, "method \(request.method.rawValue) not allowed on \(path) (allowed: \(allowed.joined(separator: ", ")))")
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        }
        return JSONResponse.error(.notFound, "unknown \(what): \(request.method.rawValue) \(path)")
    }

    /// Whether a route's path (literal segments and `:parameter` captures) matches a request path's segments.
    static func path(_ route: RouterPath, matches segments: [Substring]) -> Bool {
        guard route.count == segments.count else { return false }
        return zip(route, segments).allSatisfy { element, segment in element ~= segment }
    }
}
