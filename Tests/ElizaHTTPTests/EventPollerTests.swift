import Testing

@testable import ElizaHTTP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Both poller backends against pipes: registration, tokens, level-triggered readiness, removal.
/// PollPoller is compiled on every platform, so the backend macOS uses is tested here too; the whole
/// server runs on it when the tests are built with `-D ELIZA_PORTABLE_POSIX` (Tools/test.sh does).
@Suite struct EventPollerTests {
    /// Every event `wait(0)` reports, by token.
    static func ready(_ poller: some EventPoller) -> [UInt64: PollEvents] {
        var found: [UInt64: PollEvents] = [:]
        #expect(poller.wait(timeoutMilliseconds: 0) { token, events in found[token] = events })
        return found
    }

    static func exercise<P: EventPoller>(_: P.Type) throws {
        let poller = try P(capacity: 8)
        defer { if let fd = poller.descriptor { close(fd) } }
        let pipes = try (0..<3).map { _ in try Socket.makePipe(nonBlockingRead: true, nonBlockingWrite: true) }
        var open = pipes.flatMap { [$0.read, $0.write] }
        defer { for fd in open { close(fd) } }
        for (index, pipe) in pipes.enumerated() {
            #expect(poller.add(pipe.read, events: .readable, token: UInt64(index)))
        }
        #expect(!poller.add(pipes[0].read, events: .readable, token: 9), "a descriptor is registered once")
        #expect(ready(poller).isEmpty)

        var byte: UInt8 = 1
        #expect(write(pipes[1].write, &byte, 1) == 1)
        #expect(write(pipes[2].write, &byte, 1) == 1)
        // Level-triggered: reported again until read.
        for _ in 0..<2 {
            let found = ready(poller)
            #expect(Set(found.keys) == [1, 2])
            #expect(found[1]?.contains(.readable) == true)
        }

        // A new token, then removal of the first registration (the last one moves into its slot).
        #expect(poller.modify(pipes[2].read, events: .readable, token: 42))
        #expect(Set(ready(poller).keys) == [1, 42])
        #expect(poller.remove(pipes[0].read))
        #expect(Set(ready(poller).keys) == [1, 42])
        #expect(poller.remove(pipes[2].read))
        #expect(Set(ready(poller).keys) == [1])
        _ = read(pipes[1].read, &byte, 1)
        #expect(ready(poller).isEmpty)

        // Watching a pipe's write end for writability; closing the read end reports an error or hang-up.
        #expect(poller.add(pipes[0].write, events: .writable, token: 7))
        #expect(ready(poller)[7]?.contains(.writable) == true)
        close(pipes[0].read)
        open.removeAll { $0 == pipes[0].read }
        #expect(ready(poller)[7]?.isDisjoint(with: [.error, .hangUp]) == false)
    }

    @Test func pollBackend() throws { try Self.exercise(PollPoller.self) }

    #if os(Linux)
    @Test func epollBackend() throws { try Self.exercise(EpollPoller.self) }
    #endif

    @Test func theBuildUsesTheBackendItNames() {
        #if os(Linux) && !ELIZA_PORTABLE_POSIX
        #expect(SystemPoller.self == EpollPoller.self)
        #else
        #expect(SystemPoller.self == PollPoller.self)
        #endif
    }
}
