#include "Commands.h"

#include "AdminOption.h"
#include "CommandLine.h"
#include "CommandTable.h"

#include "MainWindow.h"
#include "admin/AdminServer.h"
#include "balancing/Registry.h"
#include "config/ConfigSchema.h"
#include "config/LabConfig.h"
#include "config/TlsCredentials.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"
#include "util/SignalWatcher.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFileInfo>
#include <QHostAddress>
#include <QSettings>
#include <cstdio>

namespace lab::app {

namespace {

void setIdentity()
{
    QCoreApplication::setApplicationName(QStringLiteral("balancer-lab"));
    QCoreApplication::setOrganizationName(QStringLiteral("Balancer Lab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LAB_VERSION));
}

const QCommandLineOption configOption(QStringList{QStringLiteral("c"), QStringLiteral("config")},
                                      QStringLiteral("Load the lab from a JSON config FILE (see docs/config.md)."),
                                      QStringLiteral("FILE"));

bool loadConfig(const QCommandLineParser& parser, LabConfig* config)
{
    if (!parser.isSet(configOption)) {
        *config = LabConfig::defaultLab();
        return true;
    }
    LabConfigResult r = loadLabConfig(parser.value(configOption));
    if (!r.ok()) {
        printErr(QStringLiteral("balancer-lab: invalid config\n") + r.error);
        return false;
    }
    *config = r.config;
    return true;
}

// An integer option within `allowed` (the config schema's range for the setting it overrides).
template <typename Int>
bool parseInt(const QCommandLineParser& parser, const QCommandLineOption& opt, schema::Range allowed, Int* out)
{
    if (!parser.isSet(opt))
        return true;
    bool ok = false;
    const qint64 v = parser.value(opt).toLongLong(&ok);
    if (!ok || !allowed.contains(v)) {
        printErr(QStringLiteral("balancer-lab: --%1 must be an integer from %2 to %3 (got '%4')")
                     .arg(opt.names().last())
                     .arg(allowed.min)
                     .arg(allowed.max)
                     .arg(parser.value(opt)));
        return false;
    }
    *out = Int(v);
    return true;
}

} // namespace

int runWindow(int argc, char** argv)
{
    setIdentity();
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Balancer Lab: a desktop laboratory for load balancing.\n\n") +
                                     commandsHelp());
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption(configOption);
    if (!parseOrExplain(parser, arguments(argc, argv, 0), QString()))
        return ExitUsage;

    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
        qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        printErr(QStringLiteral("balancer-lab: no display found (DISPLAY and WAYLAND_DISPLAY are unset).\n"
                                "Run the lab headless instead: balancer-lab serve  (see balancer-lab serve --help)"));
        return ExitRuntime;
    }
    QApplication app(argc, argv); // before the config: "tls" files are read with Qt's TLS backend
    LabConfig config;
    if (!loadConfig(parser, &config))
        return ExitUsage;
    // Without --config the window reopens the lab it had last (File > Open / Save), if it still loads.
    QString lastFile;
    if (!parser.isSet(configOption)) {
        lastFile = QSettings().value(QStringLiteral("files/current")).toString();
        if (!lastFile.isEmpty()) {
            LabConfigResult r = loadLabConfig(lastFile);
            if (r.ok()) {
                config = r.config;
                printErr(QStringLiteral("balancer-lab: reopening the last lab, %1 (--config FILE opens another)")
                             .arg(lastFile));
            } else {
                printErr(QStringLiteral("balancer-lab: the last lab no longer loads, using the default lab:\n") +
                         r.error);
                QSettings().remove(QStringLiteral("files/current"));
            }
        }
    } else {
        QSettings().setValue(QStringLiteral("files/current"), QFileInfo(parser.value(configOption)).absoluteFilePath());
    }

    SignalWatcher signals;
    QObject::connect(&signals, &SignalWatcher::terminationRequested, &app, &QCoreApplication::quit);
    Lab lab(config);
    MainWindow window(&lab);
    QString error;
    if (!lab.start(&error))
        printErr(QStringLiteral("balancer-lab: ") + error); // the window shows what did start; the user can retry
    window.show();
    return app.exec();
}

namespace {
// "127.0.0.1:8001,name=a,weight=5" -> an external backend.
bool parseBackendSpec(const QString& spec, BackendConfig* out, QString* error)
{
    const QStringList parts = spec.split(QLatin1Char(','));
    const std::optional<HostPort> address = parseHostPort(parts.first());
    const schema::Range ports = schema::rangeOf(&BackendConfig::port);
    if (!address || !ports.contains(address->port)) {
        *error = QStringLiteral("--backend %1: expected HOST:PORT[,name=N][,weight=W] with a port from %2 to %3")
                     .arg(spec)
                     .arg(ports.min)
                     .arg(ports.max);
        return false;
    }
    BackendConfig b;
    b.host = address->host;
    if (!validBackendHost(b.host)) {
        *error = QStringLiteral("--backend '%1': the host must be an IP address or a host name such as backend.example "
                                "(letters, digits, '-', '_' and '.'; got '%2')")
                     .arg(spec, b.host);
        return false;
    }
    b.port = address->port;
    b.name = QStringLiteral("backend-%1").arg(b.port);
    for (qsizetype i = 1; i < parts.size(); ++i) {
        const QString key = parts[i].section(QLatin1Char('='), 0, 0);
        const QString value = parts[i].section(QLatin1Char('='), 1);
        if (key == QLatin1String("name") && !value.isEmpty()) {
            b.name = value;
        } else if (key == QLatin1String("weight")) {
            bool ok = false;
            b.weight = value.toInt(&ok);
            const schema::Range weights = schema::rangeOf(&BackendConfig::weight);
            if (!ok || !weights.contains(b.weight)) {
                *error = QStringLiteral("--backend %1: weight must be an integer from %2 to %3")
                             .arg(spec)
                             .arg(weights.min)
                             .arg(weights.max);
                return false;
            }
        } else {
            *error = QStringLiteral("--backend %1: unknown option '%2' (allowed: name=, weight=)").arg(spec, parts[i]);
            return false;
        }
    }
    *out = b;
    return true;
}

// serve's command line made into the lab to serve: the config file, then every option over it. ExitOk with
// the lab in *out, or the exit code after printing why. SIGHUP calls it again with the same arguments: the
// file is read anew and the same options apply to it, so a reload refuses exactly what a start would.
int serveConfigFromArguments(int argc, char** argv, LabConfig* out, QString* configFile)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Run the lab headless: the HTTP load-balancing proxy and, unless --backend is given, the embedded\n"
        "backends of the config (default: proxy on 127.0.0.1:8000, backends on 8001-8003).\n"
        "SIGINT/SIGTERM: stop accepting, let requests in flight finish (up to 5 s), exit 0.\n"
        "SIGHUP (with --config): reload the file live; a file that does not load is refused and the running\n"
        "lab stays as it was."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption(configOption);
    const QCommandLineOption listen(QStringLiteral("listen"), QStringLiteral("Proxy address (default 127.0.0.1:8000)."),
                                    QStringLiteral("HOST:PORT"));
    const QCommandLineOption backend(
        QStringLiteral("backend"),
        QStringLiteral("An external backend; repeat for more. Replaces the config's backends."),
        QStringLiteral("HOST:PORT[,name=N][,weight=W]"));
    const QCommandLineOption algorithm(
        QStringLiteral("algorithm"),
        QStringLiteral("Balancing algorithm: %1.").arg(algorithmNames().join(QStringLiteral(", "))),
        QStringLiteral("NAME"));
    const QCommandLineOption workers(QStringLiteral("workers"),
                                     QStringLiteral("Worker threads (default: one per core)."), QStringLiteral("N"));
    const QCommandLineOption retries(
        QStringLiteral("retries"),
        QStringLiteral("Extra attempts on other backends (default %1).").arg(RetryConfig{}.retries),
        QStringLiteral("N"));
    const QCommandLineOption accessLog(QStringLiteral("access-log"),
                                       QStringLiteral("Print one line per request to stdout."));
    const QCommandLineOption underscores(
        QStringLiteral("underscores-in-headers"),
        QStringLiteral("Forward request header names that contain '_' (default: dropped)."));
    const QCommandLineOption healthInterval(
        QStringLiteral("health-interval-ms"),
        QStringLiteral("Active health probe interval (default %1).").arg(HealthConfig{}.intervalMs),
        QStringLiteral("MS"));
    const QCommandLineOption healthTimeout(QStringLiteral("health-timeout-ms"),
                                           QStringLiteral("Probe timeout (default %1).").arg(HealthConfig{}.timeoutMs),
                                           QStringLiteral("MS"));
    const QCommandLineOption healthRise(
        QStringLiteral("health-rise"),
        QStringLiteral("Passed probes in a row to come up (default %1).").arg(HealthConfig{}.rise),
        QStringLiteral("N"));
    const QCommandLineOption healthFall(
        QStringLiteral("health-fall"),
        QStringLiteral("Failed probes in a row to go down (default %1).").arg(HealthConfig{}.fall),
        QStringLiteral("N"));
    const QCommandLineOption healthPath(QStringLiteral("health-path"),
                                        QStringLiteral("HTTP probe path (default /health)."), QStringLiteral("PATH"));
    const QCommandLineOption healthTcp(QStringLiteral("health-tcp"),
                                       QStringLiteral("Probe with a TCP connect instead of HTTP."));
    const QCommandLineOption noHealth(QStringLiteral("no-health-checks"),
                                      QStringLiteral("No active probes (passive checks stay on)."));
    const QCommandLineOption slowStart(
        QStringLiteral("slow-start-ms"),
        QStringLiteral("Ramp a recovered backend's share from 10% to 100% over MS (default 0: off)."),
        QStringLiteral("MS"));
    const QCommandLineOption hashKey(
        QStringLiteral("hash-key"),
        QStringLiteral("What %1 hash: client, path, header:NAME or cookie:NAME (default client).")
            .arg(hashKeyAlgorithmNames().join(QStringLiteral(" and "))),
        QStringLiteral("KEY"));
    const QCommandLineOption sticky(QStringLiteral("sticky"),
                                    QStringLiteral("Sticky sessions: a cookie (LABSRV) pins a client to its backend."));
    const QCommandLineOption stickyCookie(QStringLiteral("sticky-cookie"),
                                          QStringLiteral("Sticky sessions with this cookie name."),
                                          QStringLiteral("NAME"));
    const QCommandLineOption mode(QStringLiteral("mode"),
                                  QStringLiteral("http (reverse proxy, default) or tcp (byte relay, layer 4)."),
                                  QStringLiteral("MODE"));
    const QCommandLineOption listenBacklog(
        QStringLiteral("listen-backlog"),
        QStringLiteral("Listen queue length (default: the system's maximum, net.core.somaxconn)."),
        QStringLiteral("N"));
    const QCommandLineOption maxConnections(
        QStringLiteral("max-connections"),
        QStringLiteral("Open client connections per listener; more are closed at once (default: from the "
                       "descriptor limit)."),
        QStringLiteral("N"));
    const QCommandLineOption maxPerClient(QStringLiteral("max-connections-per-client"),
                                          QStringLiteral("Open connections per client address (default 0: no cap)."),
                                          QStringLiteral("N"));
    const QCommandLineOption maxHeadBuffer(
        QStringLiteral("max-head-buffer-bytes"),
        QStringLiteral("Unfinished request heads held at once; past it the newest gets 503 (default 67108864)."),
        QStringLiteral("BYTES"));
    const QCommandLineOption rateLimit(
        QStringLiteral("rate-limit"),
        QStringLiteral("Per-client token bucket: RPS requests a second, bursts of BURST (default: one second's "
                       "worth); over it the proxy answers 429 with Retry-After. 0 = off."),
        QStringLiteral("RPS[,BURST]"));
    const QCommandLineOption tlsCert(QStringLiteral("tls-cert"),
                                     QStringLiteral("Terminate TLS on the first HTTP listener with this PEM "
                                                    "certificate (with --tls-key; balancer-lab cert makes one)."),
                                     QStringLiteral("FILE"));
    const QCommandLineOption tlsKey(QStringLiteral("tls-key"),
                                    QStringLiteral("The PEM private key of --tls-cert (unencrypted)."),
                                    QStringLiteral("FILE"));
    parser.addOptions({rateLimit, hashKey, sticky, stickyCookie, mode, underscores, listenBacklog, maxConnections,
                       maxPerClient, maxHeadBuffer, tlsCert, tlsKey});
    parser.addOptions({listen, backend, algorithm, workers, retries, accessLog, healthInterval, healthTimeout,
                       healthRise, healthFall, healthPath, healthTcp, noHealth, slowStart});
    const QCommandLineOption admin = adminOption();
    parser.addOption(admin);
    if (!parseOrExplain(parser, arguments(argc, argv, 1), QStringLiteral("serve")))
        return ExitUsage;
    LabConfig config;
    if (!loadConfig(parser, &config))
        return ExitUsage;

    if (QString why; !applyAdminOption(parser, admin, &config.admin, &why)) {
        printErr(QStringLiteral("balancer-lab serve: ") + why);
        return ExitUsage;
    }
    if (parser.isSet(listen)) {
        const QString value = parser.value(listen);
        const std::optional<HostPort> address = parseHostPort(value);
        if (!address || !schema::rangeOf(&ListenerConfig::port).contains(address->port) ||
            QHostAddress(address->host).isNull()) {
            printErr(QStringLiteral("balancer-lab serve: --listen expects IP:PORT such as 127.0.0.1:8000 (got '%1')")
                         .arg(value));
            return ExitUsage;
        }
        if (config.listeners.isEmpty())
            config.listeners << ListenerConfig{
                QStringLiteral("http"), ListenerKind::Http, address->host, address->port, {}};
        else {
            config.listeners.first().address = address->host;
            config.listeners.first().port = address->port;
        }
    }
    if (parser.isSet(mode)) {
        const QString m = parser.value(mode);
        if (m != QLatin1String("http") && m != QLatin1String("tcp")) {
            printErr(QStringLiteral("balancer-lab serve: --mode must be http or tcp (got '%1')").arg(m));
            return ExitUsage;
        }
        if (config.listeners.isEmpty())
            config.listeners << ListenerConfig{};
        config.listeners.first().kind = m == QLatin1String("tcp") ? ListenerKind::Tcp : ListenerKind::Http;
        if (m == QLatin1String("tcp")) {
            config.listeners.first().name = QStringLiteral("tcp");
            if (!parser.isSet(QStringLiteral("health-path")))
                config.health.type = QStringLiteral("tcp"); // bytes, not HTTP: probe with a connect
        }
    }
    if (parser.isSet(backend)) {
        config.backends.clear();
        const QStringList specs = parser.values(backend);
        for (int i = 0; i < specs.size(); ++i) {
            BackendConfig b;
            QString error;
            if (!parseBackendSpec(specs[i], &b, &error)) {
                printErr(QStringLiteral("balancer-lab serve: ") + error);
                return ExitUsage;
            }
            for (const BackendConfig& other : std::as_const(config.backends)) {
                if (other.name == b.name) {
                    printErr(QStringLiteral("balancer-lab serve: two backends are named '%1'; give one name=...")
                                 .arg(b.name));
                    return ExitUsage;
                }
            }
            config.backends << b;
        }
    }
    if (parser.isSet(algorithm)) {
        if (!findAlgorithm(parser.value(algorithm))) {
            printErr(QStringLiteral("balancer-lab serve: --algorithm must be one of %1 (got '%2')")
                         .arg(algorithmNames().join(QStringLiteral(", ")), parser.value(algorithm)));
            return ExitUsage;
        }
        config.algorithm = parser.value(algorithm);
    }
    if (parser.isSet(hashKey)) {
        HashKeySpec parsed;
        if (!HashKeySpec::parse(parser.value(hashKey), &parsed)) {
            printErr(
                QStringLiteral("balancer-lab serve: --hash-key %1").arg(HashKeySpec::problem(parser.value(hashKey))));
            return ExitUsage;
        }
        config.hashKey = parser.value(hashKey);
    }
    if (parser.isSet(sticky) || parser.isSet(stickyCookie)) {
        config.sticky.enabled = true;
        if (parser.isSet(stickyCookie))
            config.sticky.cookie = parser.value(stickyCookie);
        if (!validCookieName(config.sticky.cookie)) {
            printErr(QStringLiteral("balancer-lab serve: --sticky-cookie must be letters, digits, - and _ (got '%1')")
                         .arg(config.sticky.cookie));
            return ExitUsage;
        }
    }
    // The config's 0 workers means "one per core", which is what leaving --workers out gives.
    const schema::Range workerCounts{1, schema::rangeOf(&ProxyConfig::workers).max};
    if (!parseInt(parser, workers, workerCounts, &config.proxy.workers) ||
        !parseInt(parser, retries, schema::rangeOf(&RetryConfig::retries), &config.retry.retries))
        return ExitUsage;
    ProxyConfig& p = config.proxy;
    if (!parseInt(parser, listenBacklog, schema::rangeOf(&ProxyConfig::listenBacklog), &p.listenBacklog) ||
        !parseInt(parser, maxConnections, schema::rangeOf(&ProxyConfig::maxConnections), &p.maxConnections) ||
        !parseInt(parser, maxPerClient, schema::rangeOf(&ProxyConfig::maxConnectionsPerClient),
                  &p.maxConnectionsPerClient) ||
        !parseInt(parser, maxHeadBuffer, schema::rangeOf(&ProxyConfig::maxHeadBufferBytes), &p.maxHeadBufferBytes))
        return ExitUsage;
    if (parser.isSet(rateLimit)) {
        QString why;
        if (!parseRateLimitSpec(parser.value(rateLimit), &config.rateLimit, &why)) {
            printErr(QStringLiteral("balancer-lab serve: --rate-limit ") + why);
            return ExitUsage;
        }
    }
    if (parser.isSet(tlsCert) || parser.isSet(tlsKey)) {
        ListenerConfig* http = nullptr;
        for (ListenerConfig& l : config.listeners) {
            if (!http && l.kind == ListenerKind::Http)
                http = &l;
        }
        QString why;
        TlsCredentials checked;
        if (!parser.isSet(tlsCert) || !parser.isSet(tlsKey))
            why = QStringLiteral("--tls-cert and --tls-key go together (a certificate and its key)");
        else if (!http)
            why = QStringLiteral("--tls-cert needs an http listener to terminate TLS on");
        else if (TlsCredentials::load(parser.value(tlsCert), parser.value(tlsKey), &checked, &why))
            http->tls = {QFileInfo(parser.value(tlsCert)).absoluteFilePath(),
                         QFileInfo(parser.value(tlsKey)).absoluteFilePath()};
        if (!why.isEmpty()) {
            printErr(QStringLiteral("balancer-lab serve: ") + why);
            return ExitUsage;
        }
    }
    if (parser.isSet(accessLog))
        config.proxy.accessLog = true;
    if (parser.isSet(underscores))
        config.proxy.underscoresInHeaders = true;
    HealthConfig& h = config.health;
    if (!parseInt(parser, healthInterval, schema::rangeOf(&HealthConfig::intervalMs), &h.intervalMs) ||
        !parseInt(parser, healthTimeout, schema::rangeOf(&HealthConfig::timeoutMs), &h.timeoutMs) ||
        !parseInt(parser, healthRise, schema::rangeOf(&HealthConfig::rise), &h.rise) ||
        !parseInt(parser, healthFall, schema::rangeOf(&HealthConfig::fall), &h.fall) ||
        !parseInt(parser, slowStart, schema::rangeOf(&HealthConfig::slowStartMs), &h.slowStartMs))
        return ExitUsage;
    if (parser.isSet(healthPath)) {
        h.path = parser.value(healthPath);
        if (!h.path.startsWith(QLatin1Char('/'))) {
            printErr(QStringLiteral("balancer-lab serve: --health-path must start with / (got '%1')").arg(h.path));
            return ExitUsage;
        }
    }
    if (parser.isSet(healthTcp))
        h.type = QStringLiteral("tcp");
    if (parser.isSet(noHealth))
        h.enabled = false;
    const bool healthFlags = parser.isSet(healthInterval) || parser.isSet(healthTimeout) || parser.isSet(healthRise) ||
        parser.isSet(healthFall) || parser.isSet(healthPath) || parser.isSet(healthTcp) || parser.isSet(noHealth);
    for (BackendConfig& b : config.backends) {
        if (healthFlags) // health settings on the command line win over a backend's own in the config
            b.health = std::nullopt;
    }
    // A file may describe a lab still being built (the window saves one without backends); serving it
    // needs a listener for clients and a backend for their requests.
    const QStringList problems = problemsForServing(config);
    if (!problems.isEmpty()) {
        const QString source =
            parser.isSet(configOption) ? parser.value(configOption) + QStringLiteral(": ") : QString();
        for (const QString& p : problems)
            printErr(QStringLiteral("balancer-lab serve: ") + source + p);
        printErr(QStringLiteral("Add them to the config, or pass --listen IP:PORT / --backend HOST:PORT."));
        return ExitUsage;
    }
    *out = config;
    *configFile = parser.isSet(configOption) ? parser.value(configOption) : QString();
    return ExitOk;
}
} // namespace

int runServe(int argc, char** argv)
{
    setIdentity();
    // Before the config: a "tls" listener's files are read with Qt's TLS backend, which wants the application.
    QCoreApplication app(argc, argv);
    LabConfig config;
    QString configFile;
    if (const int rc = serveConfigFromArguments(argc, argv, &config, &configFile))
        return rc;

    SignalWatcher signals;
    signals.watchReload();
    Lab lab(config);
    AdminServer adminServer(lab);
    QObject::connect(&lab, &Lab::eventLogged, [](const QString& t) { printErr(t); });
    QObject::connect(&signals, &SignalWatcher::reloadRequested, &lab, [&] {
        if (configFile.isEmpty()) {
            printErr(QStringLiteral("SIGHUP: nothing to reload (serve was started without --config FILE)"));
            return;
        }
        LabConfig next;
        QString ignored;
        if (serveConfigFromArguments(argc, argv, &next, &ignored) != ExitOk) {
            // The sentence above says what is wrong; the event log says what that means.
            lab.logEvent(LabEvent::Kind::Config,
                         QStringLiteral("reload refused: %1 does not load; the running config stays").arg(configFile));
            return;
        }
        QString summary;
        QString error;
        const AdminConfig adminBefore = lab.config().admin;
        lab.reload(next, &summary, &error); // logs its own event (the summary, or why it was refused)
        if (lab.config().admin != adminBefore) { // the summary said "admin A → B": the server moves there
            adminServer.close();
            QString warning;
            if (!startAdminForServe(adminServer, lab.config().admin, &warning, &error))
                printErr(QStringLiteral("balancer-lab serve: admin API closed: ") + error);
            else if (adminServer.isListening())
                printErr(QStringLiteral("admin API at %1").arg(adminServer.url()));
            else
                printErr(QStringLiteral("admin API closed (\"admin\" is off in %1)").arg(configFile));
            if (!warning.isEmpty())
                printErr(QStringLiteral("balancer-lab serve: warning: ") + warning);
        }
    });
    QObject::connect(&signals, &SignalWatcher::terminationRequested, &app, [&](int sig) {
        printErr(QStringLiteral("signal %1: no longer accepting; finishing requests in flight").arg(sig));
        // Asynchronous: the loop keeps printing the lab's events while requests finish, and quits when every
        // proxy is done; a second signal finds none running and quits at once.
        if (!lab.proxiesRunning()) {
            app.quit();
            return;
        }
        QObject::connect(&lab, &Lab::proxiesStopped, &app, &QCoreApplication::quit);
        lab.stopProxies(5000);
    });
    QString error;
    if (!lab.start(&error)) {
        printErr(QStringLiteral("balancer-lab serve: ") + error);
        return ExitRuntime;
    }
    QString adminWarning;
    if (!startAdminForServe(adminServer, config.admin, &adminWarning, &error)) {
        printErr(QStringLiteral("balancer-lab serve: ") + error);
        lab.stopProxiesAndWait(0);
        lab.stopAll();
        return ExitRuntime;
    }
    if (adminServer.isListening())
        printErr(QStringLiteral("admin API at %1 (GET /metrics, /api/state; docs/admin.md)").arg(adminServer.url()));
    if (!adminWarning.isEmpty())
        printErr(QStringLiteral("balancer-lab serve: warning: ") + adminWarning);
    const int rc = app.exec();
    lab.stopProxiesAndWait(0);
    lab.stopAll();
    return rc;
}

int runBackend(int argc, char** argv)
{
    setIdentity();
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Run one fake HTTP backend: GET /health, GET/HEAD anything (hello JSON), POST/PUT/PATCH/DELETE (echo).\n"
        "Stops cleanly on SIGINT/SIGTERM."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption port(QStringLiteral("port"), QStringLiteral("TCP port to listen on (required)."),
                                  QStringLiteral("N"));
    const QCommandLineOption name(QStringLiteral("name"),
                                  QStringLiteral("Name reported as server_id (default backend-N)."),
                                  QStringLiteral("NAME"));
    const QCommandLineOption listen(QStringLiteral("address"),
                                    QStringLiteral("Address to listen on (default 127.0.0.1)."), QStringLiteral("IP"),
                                    QStringLiteral("127.0.0.1"));
    const QCommandLineOption latency(QStringLiteral("latency-ms"), QStringLiteral("Added latency per answer."),
                                     QStringLiteral("MS"));
    const QCommandLineOption jitter(QStringLiteral("jitter-ms"), QStringLiteral("Plus a random 0..MS."),
                                    QStringLiteral("MS"));
    const QCommandLineOption errorRate(QStringLiteral("error-rate"),
                                       QStringLiteral("Percent of requests answered 500."), QStringLiteral("PCT"));
    const QCommandLineOption onlyPaths(QStringLiteral("only-paths"),
                                       QStringLiteral("Serve only these paths (and below); others get 404."),
                                       QStringLiteral("/a,/b"));
    const QCommandLineOption workers(QStringLiteral("workers"),
                                     QStringLiteral("Requests served at once (default 0 = unlimited)."),
                                     QStringLiteral("N"));
    const QCommandLineOption queue(QStringLiteral("queue"),
                                   QStringLiteral("Requests that may wait for a worker; one more gets 503 queue full "
                                                  "(default 0)."),
                                   QStringLiteral("N"));
    const QCommandLineOption serviceMs(
        QStringLiteral("service-ms"),
        QStringLiteral("Mean time a request holds a worker (default 0); X-Lab-Cost-Ms sets one request's."),
        QStringLiteral("MS"));
    const QCommandLineOption serviceDist(
        QStringLiteral("service-dist"),
        QStringLiteral("Service time distribution: %1 (default fixed; lognormal has sigma %2).")
            .arg(FaultProfile::serviceDistributions().join(QStringLiteral(", ")))
            .arg(FaultProfile::kLognormalSigma),
        QStringLiteral("DIST"));
    parser.addOptions(
        {port, name, listen, latency, jitter, errorRate, onlyPaths, workers, queue, serviceMs, serviceDist});
    if (!parseOrExplain(parser, arguments(argc, argv, 1), QStringLiteral("backend")))
        return ExitUsage;

    if (!parser.isSet(port)) {
        printErr(QStringLiteral("balancer-lab backend: --port is required"));
        return ExitUsage;
    }
    int portNumber = 0;
    FaultProfile faults;
    if (!parseInt(parser, port, schema::rangeOf(&BackendConfig::port), &portNumber) ||
        !parseInt(parser, latency, schema::rangeOf(&FaultProfile::latencyMs), &faults.latencyMs) ||
        !parseInt(parser, jitter, schema::rangeOf(&FaultProfile::jitterMs), &faults.jitterMs) ||
        !parseInt(parser, workers, schema::rangeOf(&FaultProfile::workers), &faults.workers) ||
        !parseInt(parser, queue, schema::rangeOf(&FaultProfile::queue), &faults.queue) ||
        !parseInt(parser, serviceMs, schema::rangeOf(&FaultProfile::serviceMs), &faults.serviceMs))
        return ExitUsage;
    if (parser.isSet(serviceDist)) {
        const QStringList allowed = schema::keyOf(&FaultProfile::serviceDist).allowed();
        if (!allowed.contains(parser.value(serviceDist))) {
            printErr(QStringLiteral("balancer-lab: --service-dist must be one of %1 (got '%2')")
                         .arg(allowed.join(QStringLiteral(", ")), parser.value(serviceDist)));
            return ExitUsage;
        }
        faults.serviceDist = parser.value(serviceDist);
    }
    if (parser.isSet(errorRate)) {
        bool ok = false;
        faults.errorRatePercent = parser.value(errorRate).toDouble(&ok);
        const schema::Range rates = schema::rangeOf(&FaultProfile::errorRatePercent);
        // "nan" parses as NaN, which no comparison lets through
        if (!ok || !(faults.errorRatePercent >= double(rates.min) && faults.errorRatePercent <= double(rates.max))) {
            printErr(QStringLiteral("balancer-lab: --error-rate must be a number from %1 to %2 (got '%3')")
                         .arg(rates.min)
                         .arg(rates.max)
                         .arg(parser.value(errorRate)));
            return ExitUsage;
        }
    }
    if (parser.isSet(onlyPaths)) {
        faults.onlyPaths = parser.value(onlyPaths).split(QLatin1Char(','), Qt::SkipEmptyParts);
        for (const QString& p : std::as_const(faults.onlyPaths)) {
            if (!p.startsWith(QLatin1Char('/'))) {
                printErr(QStringLiteral("balancer-lab: --only-paths takes paths starting with / (got '%1')").arg(p));
                return ExitUsage;
            }
        }
    }
    const QHostAddress address(parser.value(listen));
    if (address.isNull()) {
        printErr(QStringLiteral("balancer-lab: --address must be an IP address (got '%1')").arg(parser.value(listen)));
        return ExitUsage;
    }

    QCoreApplication app(argc, argv);
    SignalWatcher signals;
    QObject::connect(&signals, &SignalWatcher::terminationRequested, &app, &QCoreApplication::quit);
    const QString backendName = parser.isSet(name) ? parser.value(name) : QStringLiteral("backend-%1").arg(portNumber);
    FakeBackend backend(backendName, address, quint16(portNumber), faults);
    QString error;
    if (!backend.start(&error)) {
        printErr(
            QStringLiteral("balancer-lab backend: %1; is another program using port %2? Choose another with --port.")
                .arg(error)
                .arg(portNumber));
        return ExitRuntime;
    }
    printErr(QStringLiteral("%1 listening on %2:%3").arg(backendName, address.toString()).arg(backend.port()));
    const int rc = app.exec();
    backend.stop();
    printErr(QStringLiteral("%1 stopped after %2 requests").arg(backendName).arg(backend.counters().requests.load()));
    return rc;
}

} // namespace lab::app
