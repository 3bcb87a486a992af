import ElizaHTTP
import Testing

@testable import LambdaFunction

/// The EMF metric lines: their shape (what CloudWatch extracts), their cardinality (dimension values
/// from fixed sets only), `ColdStart` once per instance, and the `level` that keeps them through
/// Lambda's log-level filter.
@Suite struct MetricsEmitterTests {
    static let models = ModelCatalog.compiled.models.map(\.id)

    static func emitter(_ collector: LineCollector, level: LogLevel = .info) -> MetricsEmitter {
        MetricsEmitter(
            namespace: "ElizaLambda", logLevel: level, modelIDs: models, clock: LoggerTests.fixedClock,
            sink: collector.sink)
    }

    static func request(route: String? = "/v1/chat/completions", model: String? = "eliza", status: Int = 200)
        -> MetricsEmitter.Request
    {
        MetricsEmitter.Request(
            route: route, model: model, status: status, denied: false, latencyMilliseconds: 1.23456, replyWords: 3)
    }

    @Test func aRequestLineIsAnEMFDocumentWithTheSixMetrics() throws {
        let collector = LineCollector()
        let emitter = Self.emitter(collector)
        emitter.record(Self.request(), requestID: "r-1")
        emitter.record(Self.request(status: 503), requestID: "r-2")
        #expect(collector.lines.count == 3)
        let line = try DecodedJSON.parse(collector.lines[1])
        let directive = try #require(line["_aws"]?["CloudWatchMetrics"]?[0])
        #expect(line["_aws"]?["Timestamp"] == .number(1_795_580_932_123))
        #expect(directive["Namespace"] == .string("ElizaLambda"))
        #expect(directive["Dimensions"] == .array([.array([.string("route"), .string("model")])]))
        #expect(
            directive["Metrics"]
                == .array(
                    MetricsEmitter.requestMetrics.map { .object(["Name": .string($0.name), "Unit": .string($0.unit)]) })
        )
        #expect(line["route"] == .string("/v1/chat/completions") && line["model"] == .string("eliza"))
        let values = MetricsEmitter.requestMetrics.map { line[$0.name] }
        #expect(values == [.number(1), .number(0), .number(0), .number(0), .number(1.235), .number(3)])
        #expect(line["level"] == .string("INFO") && line["timestamp"] == .string("2026-11-25T04:28:52.123Z"))
        #expect(line["requestId"] == .string("r-1"))
        let failed = try DecodedJSON.parse(collector.lines[2])
        #expect(failed["ServerErrors"] == .number(1) && failed["ClientErrors"] == .number(0))
        #expect(collector.lines.allSatisfy { $0.hasSuffix("}\n") && $0.filter { $0 == "\n" }.count == 1 })
    }

    @Test func coldStartIsItsOwnDocumentOncePerInstance() throws {
        let collector = LineCollector()
        let emitter = Self.emitter(collector)
        for id in 0..<3 { emitter.record(Self.request(), requestID: "r-\(id)") }
        let lines = try collector.lines.map(DecodedJSON.parse)
        let cold = lines.filter { $0["ColdStart"] != nil }
        #expect(cold.count == 1 && lines.count == 4)
        #expect(lines[0]["ColdStart"] == .number(1))
        #expect(lines[0]["_aws"]?["CloudWatchMetrics"]?[0]?["Dimensions"] == .array([.array([])]))
        #expect(
            lines[0]["_aws"]?["CloudWatchMetrics"]?[0]?["Metrics"]
                == .array([.object(["Name": .string("ColdStart"), "Unit": .string("Count")])]))
    }

    @Test func dimensionValuesComeFromFixedSets() throws {
        let collector = LineCollector()
        let emitter = Self.emitter(collector)
        emitter.record(Self.request(model: "gpt-4o-\(UInt64.random(in: 0...UInt64.max))"), requestID: "a")
        emitter.record(Self.request(route: nil, model: nil, status: 404), requestID: "b")
        emitter.record(Self.request(model: "eliza-doctor-fr"), requestID: "c")
        let lines = try collector.lines.dropFirst().map(DecodedJSON.parse)
        #expect(lines.map { $0["model"] } == [.string("other"), .string("none"), .string("eliza-doctor-fr")])
        #expect(
            lines.map { $0["route"] } == [
                .string("/v1/chat/completions"), .string("none"), .string("/v1/chat/completions"),
            ])
        // The request id is a property, never a dimension.
        for line in lines {
            #expect(
                line["_aws"]?["CloudWatchMetrics"]?[0]?["Dimensions"]
                    == .array([.array([.string("route"), .string("model")])]))
        }
    }

    @Test(arguments: [
        (LogLevel.trace, "INFO"), (.debug, "INFO"), (.info, "INFO"), (.warn, "WARN"), (.error, "ERROR"),
    ])
    func metricLinesCarryTheFiltersThreshold(configured: LogLevel, written: String) throws {
        // Lambda drops a JSON line below ApplicationLogLevel, and one without a level counts as INFO.
        let collector = LineCollector()
        Self.emitter(collector, level: configured).record(Self.request(), requestID: "r")
        for line in collector.lines {
            #expect(try DecodedJSON.parse(line)["level"] == .string(written))
        }
    }

    @Test func theAPIRecordsEveryRequestWhateverTheLogLevel() throws {
        let collector = LineCollector()
        var configuration = Configuration()
        configuration.allowList = allowList("203.0.113.0/24")
        let api = ElizaAPI(
            configuration: configuration, logger: Logger(minimumLevel: .fatal, sink: { _ in }),
            metrics: Self.emitter(collector))
        let context = ElizaAPI.Context(requestId: "req-1")
        _ = api.respond(to: .chat(userBody("I am unhappy.")), context: context)
        _ = api.respond(to: .chat(userBody("Hello"), callerIP: "198.51.100.9"), context: context)
        _ = api.respond(to: .get("/v1/models"), context: context)
        _ = api.respond(to: .get("/nowhere"), context: context)
        let lines = try collector.lines.dropFirst().map(DecodedJSON.parse)
        #expect(lines.count == 4)
        #expect(
            lines.map { $0["route"] } == [
                .string("/v1/chat/completions"), .string("none"), .string("/v1/models"), .string("none"),
            ])
        #expect(lines.map { $0["ClientErrors"] } == [.number(0), .number(1), .number(0), .number(1)])
        #expect(lines.map { $0["DeniedCallers"] } == [.number(0), .number(1), .number(0), .number(0)])
        #expect(lines[0]["ReplyWords"]?.number ?? 0 >= 2)
        #expect(lines[0]["model"] == .string("eliza"))
    }

    @Test func theNamespaceIsReadOnceAndCheckedAtStartUp() throws {
        #expect(try Configuration.load(arguments: [], environment: [:]).metricsNamespace == nil)
        #expect(
            try Configuration.load(arguments: [], environment: ["ELIZA_METRICS_NAMESPACE": ""]).metricsNamespace == nil)
        #expect(
            try Configuration.load(arguments: [], environment: ["ELIZA_METRICS_NAMESPACE": "Eliza/Prod"])
                .metricsNamespace == "Eliza/Prod")
        for bad in ["AWS/Lambda", "bad\u{1}", String(repeating: "n", count: 256), " padded"] {
            #expect(throws: ConfigurationError.self) {
                try Configuration.load(arguments: [], environment: ["ELIZA_METRICS_NAMESPACE": bad])
            }
        }
    }
}
