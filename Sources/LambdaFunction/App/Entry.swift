import ElizaHTTP
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The `eliza-lambda` binary: the Lambda Runtime API loop when `AWS_LAMBDA_RUNTIME_API` is set (it is
/// Lambda's `bootstrap`), the local HTTP server otherwise. A thin shell over `ElizaAPI`.
package enum Entry {
    package static let version = "eliza-lambda 1.0.0 (ELIZA 1966, DOCTOR script from CACM 9(1))"

    /// Runs the binary and exits.
    package static func main() -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.contains("--help") || arguments.contains("-h") {
            write(Configuration.help + "\n", fd: 1)
            exit(0)
        }
        if arguments.contains("--version") {
            write(version + "\n", fd: 1)
            exit(0)
        }
        let environment = Configuration.processEnvironment()
        if let runtimeAPI = runtimeAPIAddress(environment) {
            runLambda(runtimeAPI: runtimeAPI, environment: environment)
        }
        runLocal(arguments: arguments, environment: environment)
    }

    /// `host:port` of the Lambda Runtime API when running inside Lambda (Lambda sets
    /// `AWS_LAMBDA_RUNTIME_API`); nil off Lambda, an empty value included.
    static func runtimeAPIAddress(_ environment: [String: String]) -> String? {
        guard let address = environment["AWS_LAMBDA_RUNTIME_API"], !address.isEmpty else { return nil }
        return address
    }

    /// Inside Lambda: configuration errors go to `/runtime/init/error`; then serve until the Runtime
    /// API is gone. Nothing heavy happens before the first `/next` (the tables are compiled in and
    /// built lazily on first use).
    static func runLambda(runtimeAPI: String, environment: [String: String]) -> Never {
        // Before the configuration is read: the format it would choose, JSON if that is bad too.
        let startupLogger = Logger(
            minimumLevel: .info, format: (try? LogFormat.fromEnvironment({ environment[$0] }, fallback: .json)) ?? .json
        )
        let client: HTTPClient
        do {
            client = try HTTPClient(address: runtimeAPI)
        } catch {
            startupLogger.fatal(
                "AWS_LAMBDA_RUNTIME_API is not a usable host:port",
                [.string("value", runtimeAPI), .string("error", error.description)])
            exit(1)
        }
        var transport = RuntimeHTTPTransport(client: client)
        let configuration: Configuration
        let catalog: (catalog: ModelCatalog, warnings: [String])
        do {
            // Lambda passes no arguments; everything comes from the function's environment.
            configuration = try Configuration.load(arguments: [], environment: environment)
            catalog = try Self.catalog(configuration)
        } catch {
            startupLogger.fatal("invalid configuration", [.string("errorMessage", error.message)])
            LambdaRuntime.reportInitError(error.message, transport: &transport)
            exit(1)
        }
        let logger = Logger(minimumLevel: configuration.logLevel, format: configuration.logFormat)
        logStartupWarnings(configuration, catalog, logger)
        let api = ElizaAPI(
            configuration: configuration, catalog: catalog.catalog, logger: logger,
            metrics: metrics(configuration, catalog: catalog.catalog))
        let runtime = LambdaRuntime(api: api, logger: logger)
        runtime.run(transport: &transport)
        logger.fatal("the Lambda Runtime API is gone; exiting", [.string("runtimeAPI", runtimeAPI)])
        exit(1)
    }

    /// On a developer's machine: serve the API over HTTP until SIGINT or SIGTERM.
    static func runLocal(arguments: [String], environment: [String: String]) -> Never {
        let configuration: Configuration
        let catalog: (catalog: ModelCatalog, warnings: [String])
        do {
            configuration = try Configuration.load(arguments: arguments, environment: environment)
            catalog = try Self.catalog(configuration)
        } catch {
            switch error.code {
            case .usage:
                write("error: \(error.message)\nsee 'eliza-lambda --help'\n", fd: 2)
                exit(64)
            case .invalidValue:
                write("eliza-lambda: invalid configuration: \(error.message)\n", fd: 2)
                exit(1)
            case .scripts:
                // Every diagnostic as a compiler prints it, so that editors make them clickable.
                write("\(error.message)\neliza-lambda: not started: fix the scripts above\n", fd: 2)
                exit(1)
            }
        }
        let logger = Logger(minimumLevel: configuration.logLevel, format: configuration.logFormat)
        logStartupWarnings(configuration, catalog, logger)
        // The local server remembers responses for previous_response_id, journals the requests it
        // answers and counts simulated attempts (Lambda cannot: its instances share no memory).
        let api = ElizaAPI(
            configuration: configuration, catalog: catalog.catalog, logger: logger, responseStore: ResponseStore(),
            metrics: metrics(configuration, catalog: catalog.catalog), journal: RequestJournal(),
            attempts: AttemptCounter())
        let server = LocalServer.make(configuration: configuration, api: api)
        let port: Int
        do {
            port = try server.start()
        } catch {
            write(
                "eliza-lambda: cannot listen on \(configuration.host):\(configuration.port): \(error.description)\n",
                fd: 2)
            exit(1)
        }
        let done = Mutex(false)
        let signals: TerminationSignals
        do {
            signals = try TerminationSignals.install { signal in
                logger.info("shutting down", [.int("signal", Int(signal))])
                done.withLock { $0 = true }
            }
        } catch {
            write("eliza-lambda: cannot install signal handlers: \(error.description)\n", fd: 2)
            exit(1)
        }
        let base = "http://\(configuration.host):\(port)/v1"
        write(
            "ELIZA is listening. Give your OpenAI or LiteLLM client the base URL \(base) (models: \(api.catalog.models.map(\.id).joined(separator: ", ")))\n",
            fd: 1)
        write("Playground: open http://\(configuration.host):\(port)/ in a browser\n", fd: 1)
        logger.info(
            "listening",
            [
                .string("baseUrl", base), .bool("apiKeyRequired", configuration.apiKey != nil),
                .bool("allowListActive", !configuration.allowList.isAllowAll),
            ])
        while !done.withLock({ $0 }) {
            var pause = timespec(tv_sec: 0, tv_nsec: 50_000_000)
            nanosleep(&pause, nil)
        }
        server.stop()
        signals.cancel()
        exit(0)
    }

    /// The compiled-in models plus the scripts of `--script` and `ELIZA_SCRIPTS`, all or nothing.
    /// - Throws: `ConfigurationError` (`.scripts`) holding every diagnostic of every script.
    /// - Returns: The catalog, and the scripts' warnings (`file:line:col: warning: …`).
    package static func catalog(_ configuration: Configuration) throws(ConfigurationError) -> (
        catalog: ModelCatalog, warnings: [String]
    ) {
        guard !configuration.scriptPaths.isEmpty else { return (.compiled, []) }
        let loaded = try ScriptFiles.load(configuration.scriptPaths, limits: configuration.limits.compileLimits)
        return (try ModelCatalog.compiled.adding(loaded), loaded.flatMap(\.warnings))
    }

    /// The allow-list's and the scripts' warnings, and each loaded script's model.
    static func logStartupWarnings(
        _ configuration: Configuration, _ catalog: (catalog: ModelCatalog, warnings: [String]), _ logger: Logger
    ) {
        for warning in configuration.allowListWarnings + catalog.warnings { logger.warn(warning) }
        for model in catalog.catalog.models where !model.builtIn {
            logger.info("script loaded", [.string("model", model.id), .string("greeting", model.script.greetingText)])
        }
    }

    /// The EMF emitter when `ELIZA_METRICS_NAMESPACE` is set (the template sets it; locally off unless asked).
    static func metrics(_ configuration: Configuration, catalog: ModelCatalog) -> MetricsEmitter? {
        configuration.metricsNamespace.map {
            MetricsEmitter(
                namespace: $0, logLevel: configuration.logLevel, modelIDs: catalog.models.map(\.id))
        }
    }

    static func write(_ text: String, fd: Int32) {
        Logger.fileDescriptor(fd)(Array(text.utf8))
    }
}
