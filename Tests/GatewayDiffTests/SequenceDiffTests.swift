import GatewayModel
import Testing

@testable import GatewayDiff

/// The Myers alignment and the JSON reader on their own.
@Suite struct SequenceDiffTests {
    /// Length of a longest common subsequence, by dynamic programming.
    static func lcsLength(_ a: [Int32], _ b: [Int32]) -> Int {
        var row = [Int](repeating: 0, count: b.count + 1)
        for x in a {
            var diagonal = 0
            for (j, y) in b.enumerated() {
                let above = row[j + 1]
                row[j + 1] = x == y ? diagonal + 1 : max(row[j + 1], row[j])
                diagonal = above
            }
        }
        return row[b.count]
    }

    @Test func findsALongestCommonSubsequence() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let a = (0..<Int.random(in: 0...30, using: &generator)).map { _ in Int32.random(in: 0...4, using: &generator) }
            let b = (0..<Int.random(in: 0...30, using: &generator)).map { _ in Int32.random(in: 0...4, using: &generator) }
            let pairs = SequenceDiff.matches(a[...], b[...])
            #expect(pairs.count == Self.lcsLength(a, b), "\(a) \(b)")
            for (index, pair) in pairs.enumerated() {
                #expect(a[pair.0] == b[pair.1])
                if index > 0 { #expect(pair.0 > pairs[index - 1].0 && pair.1 > pairs[index - 1].1) }
            }
        }
    }

    @Test func respectsSliceIndicesAndCostBound() {
        let a: [Int32] = [9, 9, 1, 2, 3, 9]
        let b: [Int32] = [1, 3]
        #expect(SequenceDiff.matches(a[2..<5], b[...]).map { [$0.0, $0.1] } == [[2, 0], [4, 1]])
        let wide = (0..<2000).map { Int32($0) }
        let other = (0..<2000).map { Int32($0 + 5000) }
        #expect(SequenceDiff.matches(wide[...], other[...], maxCost: 50).isEmpty)
    }
}
