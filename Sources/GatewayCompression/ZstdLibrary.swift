#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `ZSTD_inBuffer` from zstd.h: `{ const void *src; size_t size; size_t pos; }`.
///
/// zstd.h is not needed at build time (libzstd-dev is not installed everywhere), so the two buffer structs
/// are declared here with the same layout: three pointer-sized fields in order. `ZstdLibrary.load` checks
/// the layout before handing the library out.
struct ZSTDInBuffer {
    var src: UnsafeRawPointer?
    var size: Int
    var pos: Int
}

/// `ZSTD_outBuffer` from zstd.h: `{ void *dst; size_t size; size_t pos; }`.
struct ZSTDOutBuffer {
    var dst: UnsafeMutableRawPointer?
    var size: Int
    var pos: Int
}

/// `ZSTD_EndDirective` values (a C enum, passed as `int`).
enum ZSTDEndDirective {
    static let `continue`: CInt = 0
    static let flush: CInt = 1
    static let end: CInt = 2
}

/// `ZSTD_cParameter` values used here.
enum ZSTDCParameter {
    static let compressionLevel: CInt = 100
}

/// libzstd's streaming API, resolved at run time with `dlopen` / `dlsym`.
///
/// `size_t` is declared as `Int` (same width and bits on every supported platform); error codes are
/// negative as `Int` and must be tested with `isError`.
struct ZstdLibrary {
    typealias CreateCCtx = @convention(c) () -> OpaquePointer?
    typealias FreeCCtx = @convention(c) (OpaquePointer?) -> Int
    typealias CCtxSetParameter = @convention(c) (OpaquePointer?, CInt, CInt) -> Int
    // Buffer arguments are raw pointers to `ZSTDOutBuffer` / `ZSTDInBuffer` (Swift structs cannot appear in
    // `@convention(c)` types); use `compress(_:_:_:_:)` and `decompress(_:_:_:)`.
    typealias CompressStream2 = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, CInt) -> Int
    typealias CreateDCtx = @convention(c) () -> OpaquePointer?
    typealias FreeDCtx = @convention(c) (OpaquePointer?) -> Int
    typealias DecompressStream = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int
    typealias IsError = @convention(c) (Int) -> CUnsignedInt
    typealias GetErrorName = @convention(c) (Int) -> UnsafePointer<CChar>?
    typealias StreamSize = @convention(c) () -> Int

    let createCCtx: CreateCCtx
    let freeCCtx: FreeCCtx
    let cctxSetParameter: CCtxSetParameter
    let compressStream2Function: CompressStream2
    let createDCtx: CreateDCtx
    let freeDCtx: FreeDCtx
    let decompressStreamFunction: DecompressStream
    let isErrorFunction: IsError
    let getErrorNameFunction: GetErrorName
    let cStreamOutSize: StreamSize
    let dStreamOutSize: StreamSize

    /// The message shown when no libzstd could be loaded.
    static let unavailableMessage = "zstd-stream needs libzstd.so.1 (apt-get install libzstd1)"

    /// Library names tried in order by `shared`.
    static let defaultCandidates = [
        "libzstd.so.1", "libzstd.so",
        "libzstd.1.dylib", "/opt/homebrew/lib/libzstd.1.dylib", "/usr/local/lib/libzstd.1.dylib",
    ]

    /// The process-wide library, loaded on first use. Swift initialises `static let`s lazily and exactly
    /// once (via `swift_once`), so concurrent first uses are safe. The handle is never closed.
    static let shared: Result<ZstdLibrary, CompressionError> = load(candidates: defaultCandidates)

    /// The loaded library, or the `libraryUnavailable` error explaining why it is missing.
    static func get() throws -> ZstdLibrary {
        try shared.get()
    }

    /// Opens the first loadable library in `candidates` and resolves every function this module uses.
    static func load(candidates: [String]) -> Result<ZstdLibrary, CompressionError> {
        guard MemoryLayout<ZSTDInBuffer>.size == 3 * MemoryLayout<Int>.size,
              MemoryLayout<ZSTDInBuffer>.offset(of: \.pos) == 2 * MemoryLayout<Int>.size,
              MemoryLayout<ZSTDOutBuffer>.size == 3 * MemoryLayout<Int>.size,
              MemoryLayout<ZSTDOutBuffer>.offset(of: \.pos) == 2 * MemoryLayout<Int>.size,
              MemoryLayout<UnsafeRawPointer>.size == MemoryLayout<Int>.size
        else {
            return .failure(CompressionError(.libraryUnavailable, "zstd-stream: ZSTD_inBuffer/ZSTD_outBuffer layout mismatch on this platform"))
        }
        var reasons: [String] = []
        for name in candidates {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
                reasons.append(dlerror().map { String(cString: $0) } ?? "\(name): cannot open")
                continue
            }
            do {
                return .success(try resolve(handle))
            } catch let error as CompressionError {
                dlclose(handle)
                reasons.append("\(name): \(error.description)")
            } catch {
                dlclose(handle)
                reasons.append("\(name): \(error)")
            }
        }
        let detail = reasons.isEmpty ? "" : " [" + reasons.joined(separator: "; ") + "]"
        return .failure(CompressionError(.libraryUnavailable, unavailableMessage + detail))
    }

    private static func resolve(_ handle: UnsafeMutableRawPointer) throws -> ZstdLibrary {
        func symbol<F>(_ name: String, as type: F.Type) throws -> F {
            guard let pointer = dlsym(handle, name) else {
                throw CompressionError(.libraryUnavailable, "missing symbol \(name)")
            }
            return unsafeBitCast(pointer, to: type)
        }
        return ZstdLibrary(
            createCCtx: try symbol("ZSTD_createCCtx", as: CreateCCtx.self),
            freeCCtx: try symbol("ZSTD_freeCCtx", as: FreeCCtx.self),
            cctxSetParameter: try symbol("ZSTD_CCtx_setParameter", as: CCtxSetParameter.self),
            compressStream2Function: try symbol("ZSTD_compressStream2", as: CompressStream2.self),
            createDCtx: try symbol("ZSTD_createDCtx", as: CreateDCtx.self),
            freeDCtx: try symbol("ZSTD_freeDCtx", as: FreeDCtx.self),
            decompressStreamFunction: try symbol("ZSTD_decompressStream", as: DecompressStream.self),
            isErrorFunction: try symbol("ZSTD_isError", as: IsError.self),
            getErrorNameFunction: try symbol("ZSTD_getErrorName", as: GetErrorName.self),
            cStreamOutSize: try symbol("ZSTD_CStreamOutSize", as: StreamSize.self),
            dStreamOutSize: try symbol("ZSTD_DStreamOutSize", as: StreamSize.self)
        )
    }

    /// `ZSTD_compressStream2(cctx, &output, &input, endOp)`.
    func compressStream2(_ context: OpaquePointer, _ output: inout ZSTDOutBuffer, _ input: inout ZSTDInBuffer, _ endOp: CInt) -> Int {
        withUnsafeMutablePointer(to: &output) { output in
            withUnsafeMutablePointer(to: &input) { input in
                compressStream2Function(context, UnsafeMutableRawPointer(output), UnsafeMutableRawPointer(input), endOp)
            }
        }
    }

    /// `ZSTD_decompressStream(dctx, &output, &input)`.
    func decompressStream(_ context: OpaquePointer, _ output: inout ZSTDOutBuffer, _ input: inout ZSTDInBuffer) -> Int {
        withUnsafeMutablePointer(to: &output) { output in
            withUnsafeMutablePointer(to: &input) { input in
                decompressStreamFunction(context, UnsafeMutableRawPointer(output), UnsafeMutableRawPointer(input))
            }
        }
    }

    /// Whether a `size_t` result is an error code.
    func isError(_ code: Int) -> Bool {
        isErrorFunction(code) != 0
    }

    /// libzstd's name for an error code.
    func errorName(_ code: Int) -> String {
        getErrorNameFunction(code).map { String(cString: $0) } ?? "unknown zstd error \(code)"
    }
}

// Only C function pointers (Sendable) into a library that is never unloaded; the zstd functions used are
// thread-safe as long as each context is used by one thread at a time.
extension ZstdLibrary: Sendable {}
