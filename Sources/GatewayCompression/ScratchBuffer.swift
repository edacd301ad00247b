/// A growable raw output buffer owned by one compression context and reused across calls,
/// so steady-state compression of similar-sized messages allocates nothing.
struct ScratchBuffer: ~Copyable {
    /// Capacity kept across calls; a buffer that grew beyond it is released after use.
    static let retainedCapacityLimit = 256 * 1024

    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    private let initialCapacity: Int
    /// Number of valid bytes at `base`.
    var count = 0

    init(initialCapacity: Int) {
        self.initialCapacity = max(initialCapacity, 64)
        self.capacity = self.initialCapacity
        self.base = .allocate(byteCount: self.initialCapacity, alignment: 16)
    }

    deinit {
        base.deallocate()
    }

    /// Free bytes after `count`.
    var freeCount: Int { capacity - count }

    /// The valid bytes.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Makes sure at least `minimumFree` bytes are free after `count`, keeping the valid bytes.
    mutating func reserveFree(_ minimumFree: Int) {
        guard freeCount < minimumFree else { return }
        var newCapacity = max(capacity, 64)
        while newCapacity - count < minimumFree { newCapacity *= 2 }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newBase.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Empties the buffer and gives back memory when a large message made it grow a lot.
    mutating func reset() {
        count = 0
        if capacity > Self.retainedCapacityLimit {
            base.deallocate()
            base = .allocate(byteCount: initialCapacity, alignment: 16)
            capacity = initialCapacity
        }
    }
}
