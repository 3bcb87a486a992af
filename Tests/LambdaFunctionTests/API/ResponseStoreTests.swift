import Synchronization
import Testing

@testable import LambdaFunction

/// The local server's bounded memory of responses.
@Suite struct ResponseStoreTests {
    static func response(_ id: String, text: String = "IN WHAT WAY") -> ResponseObject {
        var conversation = Conversation()
        conversation.user("Men are all alike.", field: "input")
        return ResponseObject(
            id: id, createdAt: 0, model: "eliza", messageID: "msg_" + id,
            answer: Answer(text: text, isCut: false, inputTokens: 4, outputTokens: 3),
            instructions: nil, maxOutputTokens: nil, previousResponseID: nil, store: true, metadata: [],
            toolChoice: "auto", parallelToolCalls: true, conversation: conversation)
    }

    @Test func keepsAndForgets() {
        let store = ResponseStore()
        #expect(store.insert(Self.response("a")))
        #expect(store.response("a") == Self.response("a"))
        #expect(store.response("b") == nil)
        #expect(store.remove("a"))
        #expect(!store.remove("a"))
        #expect(store.response("a") == nil)
        #expect(store.occupancy.responses == 0 && store.occupancy.bytes == 0)
    }

    @Test func evictsTheLeastRecentlyUsedBeyondTheCount() {
        let store = ResponseStore(maxResponses: 3)
        for id in ["a", "b", "c"] { store.insert(Self.response(id)) }
        _ = store.response("a")  // a is now the most recently used; b the least
        store.insert(Self.response("d"))
        #expect(store.response("b") == nil)
        #expect(["a", "c", "d"].allSatisfy { store.response($0) != nil })
        #expect(store.occupancy.responses == 3)
    }

    @Test func evictsBeyondTheBytes() {
        let one = Self.response("a").storedBytes
        let store = ResponseStore(maxResponses: 100, maxBytes: one * 2 + one / 2)
        for id in ["a", "b", "c"] { store.insert(Self.response(id)) }
        #expect(store.response("a") == nil)
        #expect(store.response("b") != nil && store.response("c") != nil)
        #expect(store.occupancy.bytes == 2 * one)
        // One larger than the whole store is not kept, and evicts nothing.
        #expect(!store.insert(Self.response("big", text: String(repeating: "X ", count: one * 2))))
        #expect(store.occupancy.responses == 2)
    }

    @Test func replacingAnIDKeepsOneEntry() {
        let store = ResponseStore(maxResponses: 2)
        store.insert(Self.response("a"))
        store.insert(Self.response("a", text: "OTHER"))
        #expect(store.occupancy.responses == 1)
        #expect(store.response("a")?.answer.text == "OTHER")
    }

    @Test func manyThreadsAtOnce() async {
        let store = ResponseStore(maxResponses: 50)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for n in 0..<500 {
                        let id = "w\(worker)-\(n % 80)"
                        store.insert(Self.response(id))
                        _ = store.response("w\((worker + 1) % 8)-\(n % 80)")
                        if n % 7 == 0 { store.remove(id) }
                    }
                }
            }
        }
        #expect(store.occupancy.responses <= 50)
        #expect(store.occupancy.responses > 0)
        // The bookkeeping held: removing every id that could be there empties the store exactly.
        for worker in 0..<8 {
            for n in 0..<80 { store.remove("w\(worker)-\(n)") }
        }
        #expect(store.occupancy == (0, 0))
    }
}
