import Foundation

/// One fuzz input: returns 0 (libFuzzer's convention); a bug traps.
public typealias FuzzTarget = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

#if FUZZING
/// libFuzzer's entry point for a program with its own `main` (LLVM 11 and later).
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ target: FuzzTarget
) -> CInt
#endif

/// The `main` of a fuzz target. Built with `-DFUZZING -sanitize=fuzzer`, runs libFuzzer on `target`
/// with libFuzzer's arguments (corpus folders, `-max_total_time=`, ...). Otherwise runs `target`
/// once on every file named on the command line or inside a folder named there: the seed corpus, or
/// a crash file, as a regression test in any build.
///
/// A target also exports `target` as `LLVMFuzzerTestOneInput`, which libFuzzer's library refers to.
public func fuzzMain(_ target: FuzzTarget) -> Never {
    #if FUZZING
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runDriver(&argc, &argv, target))
    #else
    var count = 0
    for argument in CommandLine.arguments.dropFirst() {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: argument, isDirectory: &isFolder) else {
            FileHandle.standardError.write(Data("no such file: \(argument)\n".utf8))
            exit(2)
        }
        let files = isFolder.boolValue
            ? ((try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []).sorted().map { argument + "/" + $0 }
            : [argument]
        for file in files {
            let bytes = [UInt8](FileManager.default.contents(atPath: file) ?? Data())
            _ = bytes.withUnsafeBufferPointer { target($0.baseAddress, $0.count) }
            count += 1
        }
    }
    print("ran \(count) inputs")
    exit(0)
    #endif
}
