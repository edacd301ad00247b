import Foundation

/// One fuzz input: returns 0 (libFuzzer's convention); a bug traps.
public typealias FuzzTarget = (UnsafePointer<UInt8>?, Int) -> CInt

/// The `main` of a fuzz target built without `-DFUZZING`: runs `target` once on every file named
/// on the command line or inside a folder named there (the seed corpus, or a crash file, as a
/// regression test in any build). Built with `-DFUZZING -sanitize=fuzzer`, a target exports
/// `LLVMFuzzerTestOneInput` instead and libFuzzer's own `main` runs it.
public func replayInputs(_ target: FuzzTarget) -> Never {
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
}
