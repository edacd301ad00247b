/// Myers' O((N+M)·D) difference algorithm in linear space (the middle-snake bisection of
/// "An O(ND) Difference Algorithm and Its Variations", 1986), over integer signatures.
///
/// Returns the matched index pairs of a longest common subsequence. Common prefixes and suffixes
/// are matched before bisecting. `maxCost` bounds D for each bisection: a range whose edit
/// distance is larger is left unmatched (reported as removed and added), which keeps two wholly
/// different 100,000-step sessions from costing O(N²).
enum SequenceDiff {
    /// Matched pairs `(indexInA, indexInB)`, ascending in both, using the slices' own indices.
    static func matches(_ a: ArraySlice<Int32>, _ b: ArraySlice<Int32>, maxCost: Int = 10_000) -> [(Int, Int)] {
        var result: [(Int, Int)] = []
        var work = Work(a: a, b: b, maxCost: maxCost)
        work.diff(aLow: a.startIndex, aHigh: a.endIndex, bLow: b.startIndex, bHigh: b.endIndex, into: &result)
        return result
    }

    private struct Work {
        let a: ArraySlice<Int32>
        let b: ArraySlice<Int32>
        let maxCost: Int
        var forward: [Int] = []
        var backward: [Int] = []

        mutating func diff(aLow: Int, aHigh: Int, bLow: Int, bHigh: Int, into result: inout [(Int, Int)]) {
            var aLow = aLow, bLow = bLow, aHigh = aHigh, bHigh = bHigh
            while aLow < aHigh, bLow < bHigh, a[aLow] == b[bLow] {
                result.append((aLow, bLow))
                aLow += 1
                bLow += 1
            }
            var suffix = 0
            while aLow < aHigh, bLow < bHigh, a[aHigh - 1] == b[bHigh - 1] {
                aHigh -= 1
                bHigh -= 1
                suffix += 1
            }
            if aLow < aHigh, bLow < bHigh, let (x, y) = bisect(aLow: aLow, aHigh: aHigh, bLow: bLow, bHigh: bHigh) {
                diff(aLow: aLow, aHigh: aLow + x, bLow: bLow, bHigh: bLow + y, into: &result)
                diff(aLow: aLow + x, aHigh: aHigh, bLow: bLow + y, bHigh: bHigh, into: &result)
            }
            for offset in 0..<suffix { result.append((aHigh + offset, bHigh + offset)) }
        }

        /// The middle snake's split point, relative to the range starts; `nil` when the ranges have
        /// nothing in common or D exceeds `maxCost`.
        mutating func bisect(aLow: Int, aHigh: Int, bLow: Int, bHigh: Int) -> (Int, Int)? {
            let n = aHigh - aLow
            let m = bHigh - bLow
            let maxD = min((n + m + 1) / 2, maxCost)
            let offset = maxD + 1
            let length = 2 * offset + 1
            if forward.count < length {
                forward = [Int](repeating: -1, count: length)
                backward = [Int](repeating: -1, count: length)
            } else {
                for index in 0..<length {
                    forward[index] = -1
                    backward[index] = -1
                }
            }
            forward[offset + 1] = 0
            backward[offset + 1] = 0
            let delta = n - m
            let front = delta % 2 != 0
            var k1Start = 0, k1End = 0, k2Start = 0, k2End = 0
            for d in 0..<maxD {
                var k1 = -d + k1Start
                while k1 <= d - k1End {
                    let k1Offset = offset + k1
                    var x1: Int
                    if k1 == -d || (k1 != d && forward[k1Offset - 1] < forward[k1Offset + 1]) {
                        x1 = forward[k1Offset + 1]
                    } else {
                        x1 = forward[k1Offset - 1] + 1
                    }
                    var y1 = x1 - k1
                    while x1 < n, y1 < m, a[aLow + x1] == b[bLow + y1] {
                        x1 += 1
                        y1 += 1
                    }
                    forward[k1Offset] = x1
                    if x1 > n {
                        k1End += 2
                    } else if y1 > m {
                        k1Start += 2
                    } else if front {
                        let k2Offset = offset + delta - k1
                        if k2Offset >= 0, k2Offset < length, backward[k2Offset] != -1, x1 >= n - backward[k2Offset] {
                            return (x1, y1)
                        }
                    }
                    k1 += 2
                }
                var k2 = -d + k2Start
                while k2 <= d - k2End {
                    let k2Offset = offset + k2
                    var x2: Int
                    if k2 == -d || (k2 != d && backward[k2Offset - 1] < backward[k2Offset + 1]) {
                        x2 = backward[k2Offset + 1]
                    } else {
                        x2 = backward[k2Offset - 1] + 1
                    }
                    var y2 = x2 - k2
                    while x2 < n, y2 < m, a[aLow + n - x2 - 1] == b[bLow + m - y2 - 1] {
                        x2 += 1
                        y2 += 1
                    }
                    backward[k2Offset] = x2
                    if x2 > n {
                        k2End += 2
                    } else if y2 > m {
                        k2Start += 2
                    } else if !front {
                        let k1Offset = offset + delta - k2
                        if k1Offset >= 0, k1Offset < length, forward[k1Offset] != -1 {
                            let x1 = forward[k1Offset]
                            let y1 = offset + x1 - k1Offset
                            if x1 >= n - x2 { return (x1, y1) }
                        }
                    }
                    k2 += 2
                }
            }
            return nil
        }
    }
}
