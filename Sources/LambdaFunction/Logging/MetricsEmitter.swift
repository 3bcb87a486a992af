import Synchronization

/// CloudWatch metrics for free: one Embedded Metric Format (EMF) line on standard output per
/// request, which CloudWatch Logs turns into metrics with no API call and no IAM permission
/// (../shared/docs/aws-lambda.md, "Metrics from logs").
///
/// One line per request rather than an aggregate: a Lambda instance is frozen between invocations
/// with no chance to flush, and each invocation is one request anyway. Dimensions are `route` (a
/// route's path template, `none` when unrouted) and `model` (a catalog model id, `other` for any
/// other name a client sends, `none` when there is no model), so their values come from fixed sets
/// and every combination stays a handful of billed custom metrics. Never a request id or an IP.
///
/// An EMF line has no `level` of its own; Lambda's JSON log filter treats such a line as INFO and
/// drops it when `ApplicationLogLevel` is WARN or above, and the metrics with it. So each line
/// carries `level` set to the filter's threshold (INFO, or the configured level if higher): metric
/// lines always pass the filter that `AWS_LAMBDA_LOG_LEVEL` describes.
package final class MetricsEmitter: Sendable {
    /// The metrics of each request line, in order, with their CloudWatch units.
    package static let requestMetrics: [(name: String, unit: String)] = [
        ("Requests", "Count"), ("ClientErrors", "Count"), ("ServerErrors", "Count"), ("DeniedCallers", "Count"),
        ("LatencyMs", "Milliseconds"), ("ReplyWords", "Count"),
    ]

    /// The CloudWatch namespace (`ELIZA_METRICS_NAMESPACE`).
    package let namespace: String
    /// The `level` every metric line carries.
    package let level: LogLevel
    private let models: Set<String>
    private let clock: Logger.Clock
    private let sink: Logger.Sink
    /// True until the first line: that one is preceded by the instance's `ColdStart` document.
    private let coldStart = Atomic<Bool>(true)

    /// Creates an emitter.
    /// - Parameters:
    ///   - namespace: The CloudWatch namespace.
    ///   - logLevel: The log filter's level; metric lines carry it when it is above INFO.
    ///   - modelIDs: The model ids that are dimension values; any other model is `other`.
    ///   - clock: Milliseconds since the epoch.
    ///   - sink: Where lines go; standard output by default, one `write(2)` per line.
    package init(
        namespace: String, logLevel: LogLevel, modelIDs: [String],
        clock: @escaping Logger.Clock = Logger.millisecondsSinceEpoch,
        sink: @escaping Logger.Sink = Logger.standardOutput
    ) {
        self.namespace = namespace
        self.level = max(.info, logLevel)
        self.models = Set(modelIDs)
        self.clock = clock
        self.sink = sink
    }

    /// What one request contributes.
    package struct Request: Sendable, Equatable {
        package var route: String?
        package var model: String?
        package var status: Int
        /// Refused for who the caller is: the allow-list, the API key or a direct invocation.
        package var denied: Bool
        package var latencyMilliseconds: Double
        package var replyWords: Int

        package init(
            route: String?, model: String?, status: Int, denied: Bool, latencyMilliseconds: Double, replyWords: Int
        ) {
            self.route = route
            self.model = model
            self.status = status
            self.denied = denied
            self.latencyMilliseconds = latencyMilliseconds
            self.replyWords = replyWords
        }
    }

    /// Writes the request's metric line, after the `ColdStart` line if it is the instance's first.
    /// - Parameters:
    ///   - request: The request's outcome.
    ///   - requestID: Written as a property (not a dimension), to find the request's log lines.
    package func record(_ request: Request, requestID: String?) {
        let now = clock()
        if coldStart.exchange(false, ordering: .relaxed) {
            sink(line(now, dimensions: [], metrics: [("ColdStart", "Count", 1)], requestID: requestID))
        }
        let values: [Double] = [
            1, request.status >= 400 && request.status < 500 ? 1 : 0, request.status >= 500 ? 1 : 0,
            request.denied ? 1 : 0, (request.latencyMilliseconds * 1000).rounded() / 1000, Double(request.replyWords),
        ]
        let metrics = zip(Self.requestMetrics, values).map { ($0.name, $0.unit, $1) }
        let model = request.model.map { models.contains($0) ? $0 : "other" } ?? "none"
        sink(
            line(
                now, dimensions: [("route", request.route ?? "none"), ("model", model)], metrics: metrics,
                requestID: requestID))
    }

    /// One EMF document: `_aws` metadata, the dimension values and metric values as top-level
    /// members, and `timestamp`/`level`/`message` so that Lambda's log filter keeps it.
    func line(
        _ milliseconds: Int64, dimensions: [(key: String, value: String)],
        metrics: [(name: String, unit: String, value: Double)], requestID: String?
    ) -> [UInt8] {
        var json = JSONText(reservingCapacity: 640)
        json.object("_aws") { aws in
            aws.int("Timestamp", Int(milliseconds))
            aws.array("CloudWatchMetrics") { directives in
                directives.object { directive in
                    directive.string("Namespace", namespace)
                    directive.array("Dimensions") { sets in
                        sets.array { set in
                            for dimension in dimensions { set.string(dimension.key) }
                        }
                    }
                    directive.array("Metrics") { list in
                        for metric in metrics {
                            list.object {
                                $0.string("Name", metric.name)
                                $0.string("Unit", metric.unit)
                            }
                        }
                    }
                }
            }
        }
        json.string("timestamp", Logger.timestamp(millisecondsSinceEpoch: milliseconds))
        json.string("level", level.name)
        json.string("message", "metrics")
        if let requestID { json.string("requestId", requestID, maxBytes: Logger.maxValueBytes) }
        for dimension in dimensions { json.string(dimension.key, dimension.value, maxBytes: 200) }
        for metric in metrics { json.double(metric.name, metric.value) }
        var bytes = json.finishUTF8()
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}
