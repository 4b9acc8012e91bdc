#include "ConfigSchema.h"

#include "balancing/AlgorithmNames.h"

#include <QHostAddress>

namespace lab::schema {

namespace {

QString pathProblem(const QString& path)
{
    return path.startsWith(QLatin1Char('/')) ? QString() : QStringLiteral("must start with / (got \"%1\")").arg(path);
}

QString onlyPathProblem(const QString& path)
{
    return path.startsWith(QLatin1Char('/')) ? QString()
                                             : QStringLiteral("must be a path starting with / (got \"%1\")").arg(path);
}

QString cookieProblem(const QString& name)
{
    return validCookieName(name)
        ? QString()
        : QStringLiteral("must be a cookie name: letters, digits, - and _ (got \"%1\")").arg(name);
}

QString listenAddressProblem(const QString& address)
{
    return !QHostAddress(address).isNull()
        ? QString()
        : QStringLiteral("must be an IP address such as 127.0.0.1 or ::1 (got \"%1\")").arg(address);
}

QStringList arrivalProcesses()
{
    return {QStringLiteral("constant"), QStringLiteral("poisson"), QStringLiteral("bursts")};
}

QStringList trafficMethods()
{
    return {QStringLiteral("GET"), QStringLiteral("HEAD"), QStringLiteral("POST"), QStringLiteral("PUT"),
            QStringLiteral("DELETE")};
}

// The generator's own grammar (loadgen/UserTraffic.h PathTemplate) is checked again when a run starts;
// here only what a file can get wrong without it: the leading / and no spaces.
QString pathTemplateProblem(const QString& text)
{
    if (text.isEmpty())
        return {};
    return text.startsWith(QLatin1Char('/')) && !text.contains(QLatin1Char(' '))
        ? QString()
        : QStringLiteral("must be empty or a path starting with /, such as /item/{1..100} (got \"%1\")").arg(text);
}

QStringList probeTypes()
{
    return {QStringLiteral("http"), QStringLiteral("tcp")};
}

constexpr qint64 kHourMs = 3'600'000;
constexpr qint64 kMaxBytes = 1'000'000'000'000'000; // JSON numbers are doubles: exact up to 2^53

// GCC 12 warns about every member a designated initializer leaves at its default, which is the point here.
QT_WARNING_PUSH
QT_WARNING_DISABLE_GCC("-Wmissing-field-initializers")

using L = LabConfig;
const Key<L> kLab[] = {
    {.name = "version", .range = {1, 1}},
    {.name = "algorithm", .member = &L::algorithm, .allowed = algorithmNames},
    {.name = "listeners"},
    {.name = "backends"},
    {.name = "health"},
    {.name = "outlierDetection"},
    {.name = "circuitBreaker"},
    {.name = "hashKey", .member = &L::hashKey, .problem = hashKeyProblem},
    {.name = "sticky"},
    {.name = "retry"},
    {.name = "limits"},
    {.name = "timeouts"},
    {.name = "proxy"},
    {.name = "traffic"},
    {.name = "rateLimit"},
    {.name = "admin"},
};

const Key<StickyConfig> kSticky[] = {
    {.name = "enabled", .member = &StickyConfig::enabled},
    {.name = "cookie", .member = &StickyConfig::cookie, .problem = cookieProblem},
};

using Li = ListenerConfig;
const Key<Li> kListener[] = {
    {.name = "name"}, // default: the kind and the index
    {.name = "kind"}, // http or tcp
    {.name = "address", .member = &Li::address, .problem = listenAddressProblem},
    {.name = "port", .member = &Li::port, .range = {0, 65535}}, // 0 = any free port
    {.name = "tls"}, // {"cert": FILE, "key": FILE}: HTTPS (http listeners only)
};

using B = BackendConfig;
const Key<B> kBackend[] = {
    {.name = "name"}, // default: backend-PORT
    {.name = "host"}, // an embedded backend needs an IP address, an external one may have a name
    {.name = "port", .member = &B::port, .range = {1, 65535}, .readByHand = true}, // required; 0 when embedded
    {.name = "weight", .member = &B::weight, .range = {1, 1000}},
    {.name = "embedded", .member = &B::embedded},
    {.name = "faults"},
    {.name = "health"},
};

using F = FaultProfile;
const Key<F> kFaults[] = {
    {.name = "latencyMs", .member = &F::latencyMs, .range = {0, 600'000}},
    {.name = "jitterMs", .member = &F::jitterMs, .range = {0, 600'000}},
    {.name = "errorRatePercent", .member = &F::errorRatePercent, .range = {0, 100}},
    {.name = "healthFails", .member = &F::healthFails},
    {.name = "onlyPaths", .member = &F::onlyPaths, .problem = onlyPathProblem},
    {.name = "capacity", .member = &F::capacity, .range = {0, 1'000'000}},
    {.name = "workers", .member = &F::workers, .range = {0, 100'000}}, // 0 = unlimited
    {.name = "queue", .member = &F::queue, .range = {0, 1'000'000}},
    {.name = "serviceMs", .member = &F::serviceMs, .range = {0, 600'000}},
    {.name = "serviceDist", .member = &F::serviceDist, .allowed = FaultProfile::serviceDistributions},
    {.name = "hang", .member = &F::hang},
    {.name = "refuse", .member = &F::refuse},
};

using H = HealthConfig;
const Key<H> kHealth[] = {
    {.name = "enabled", .member = &H::enabled},
    {.name = "type", .member = &H::type, .allowed = probeTypes},
    {.name = "path", .member = &H::path, .problem = pathProblem},
    {.name = "intervalMs", .member = &H::intervalMs, .range = {50, kHourMs}},
    {.name = "timeoutMs", .member = &H::timeoutMs, .range = {10, 600'000}},
    {.name = "rise", .member = &H::rise, .range = {1, 100}},
    {.name = "fall", .member = &H::fall, .range = {1, 100}},
    {.name = "expectStatusMin", .member = &H::expectStatusMin, .range = {100, 599}},
    {.name = "expectStatusMax", .member = &H::expectStatusMax, .range = {100, 599}}, // and at least the min
    {.name = "expectBody", .member = &H::expectBody},
    {.name = "slowStartMs", .member = &H::slowStartMs, .range = {0, kHourMs}},
};

using O = OutlierConfig;
const Key<O> kOutlier[] = {
    {.name = "enabled", .member = &O::enabled},
    {.name = "consecutiveFailures", .member = &O::consecutiveFailures, .range = {1, 1000}},
    {.name = "baseEjectionMs", .member = &O::baseEjectionMs, .range = {100, kHourMs}},
    {.name = "maxEjectionMs", .member = &O::maxEjectionMs, .range = {100, 24 * kHourMs}},
    {.name = "maxEjectionPercent", .member = &O::maxEjectionPercent, .range = {0, 100}},
};

using Br = BreakerConfig;
const Key<Br> kBreaker[] = {
    {.name = "enabled", .member = &Br::enabled},
    {.name = "windowMs", .member = &Br::windowMs, .range = {1000, 600'000}},
    {.name = "minRequests", .member = &Br::minRequests, .range = {1, 1'000'000}},
    {.name = "failurePercent", .member = &Br::failurePercent, .range = {1, 100}},
    {.name = "openMs", .member = &Br::openMs, .range = {100, kHourMs}},
    {.name = "halfOpenRequests", .member = &Br::halfOpenRequests, .range = {1, 1000}},
};

using R = RetryConfig;
const Key<R> kRetry[] = {
    {.name = "retries", .member = &R::retries, .range = {0, 10}},
    {.name = "retryOn", .member = &R::retryOn, .allowed = knownRetryConditions},
    {.name = "retryNonIdempotent", .member = &R::retryNonIdempotent},
    {.name = "avoid", .member = &R::avoid, .allowed = retryAvoidRules},
};

using Lm = LimitsConfig;
const Key<Lm> kLimits[] = {
    {.name = "maxRequestLineBytes", .member = &Lm::maxRequestLineBytes, .range = {256, 1 << 20}},
    {.name = "maxHeadBytes", .member = &Lm::maxHeadBytes, .range = {1024, 1 << 24}},
    {.name = "maxHeaderCount", .member = &Lm::maxHeaderCount, .range = {1, 10'000}},
    {.name = "maxBodyBytes", .member = &Lm::maxBodyBytes, .range = {0, kMaxBytes}}, // 0 = unlimited
};

using T = TimeoutsConfig;
const Key<T> kTimeouts[] = {
    {.name = "connectMs", .member = &T::connectMs, .range = {10, 600'000}},
    {.name = "upstreamResponseMs", .member = &T::upstreamResponseMs, .range = {10, kHourMs}},
    {.name = "clientIdleMs", .member = &T::clientIdleMs, .range = {10, kHourMs}},
    {.name = "tcpIdleMs", .member = &T::tcpIdleMs, .range = {100, 7 * 24 * kHourMs}},
    {.name = "headerReadMs", .member = &T::headerReadMs, .range = {10, 600'000}},
};

using P = ProxyConfig;
const Key<P> kProxy[] = {
    {.name = "workers", .member = &P::workers, .range = {0, 256}}, // 0 = one per CPU core
    {.name = "addServedBy", .member = &P::addServedBy},
    {.name = "accessLog", .member = &P::accessLog},
    {.name = "underscoresInHeaders", .member = &P::underscoresInHeaders},
    {.name = "upstreamMaxIdlePerBackend", .member = &P::upstreamMaxIdlePerBackend, .range = {0, 10'000}},
    {.name = "upstreamIdleMs", .member = &P::upstreamIdleMs, .range = {100, kHourMs}},
    {.name = "listenBacklog", .member = &P::listenBacklog, .range = {0, 65535}},
    {.name = "maxConnections", .member = &P::maxConnections, .range = {0, 10'000'000}},
    {.name = "maxConnectionsPerClient", .member = &P::maxConnectionsPerClient, .range = {0, 10'000'000}},
    {.name = "maxHeadBufferBytes", .member = &P::maxHeadBufferBytes, .range = {0, kMaxBytes}},
};

using Tr = TrafficConfig;
const Key<Tr> kTraffic[] = {
    {.name = "connections", .member = &Tr::connections, .range = {1, 1000}}, // LoadSpec::kMaxConcurrency
    {.name = "ratePerSecond", .member = &Tr::ratePerSecond, .range = {0, 1'000'000}}, // 0 = as fast as possible
    {.name = "durationS", .member = &Tr::durationS, .range = {1, 600}}, // LoadSpec::kMaxDurationMs
    {.name = "method", .member = &Tr::method, .allowed = trafficMethods},
    {.name = "path", .member = &Tr::path, .problem = pathProblem},
    {.name = "users", .member = &Tr::users, .range = {0, 250}}, // UserSpec::kMaxUsers; 0 or 1 = one client
    {.name = "pathTemplate", .member = &Tr::pathTemplate, .problem = pathTemplateProblem},
    {.name = "arrival", .member = &Tr::arrival, .allowed = arrivalProcesses},
    {.name = "burstSize", .member = &Tr::burstSize, .range = {1, 1000}}, // UserSpec::kMaxBurst
    {.name = "thinkMs", .member = &Tr::thinkMs, .range = {0, 60'000}}, // UserSpec::kMaxThinkMs
    {.name = "seed", .member = &Tr::seed, .range = {0, 2'147'483'647}},
    {.name = "cookies", .member = &Tr::cookies},
    {.name = "userHeader", .member = &Tr::userHeader},
    {.name = "ownAddresses", .member = &Tr::ownAddresses},
};

using RL = RateLimitConfig;
const Key<RL> kRateLimit[] = {
    {.name = "requestsPerSecond", .member = &RL::requestsPerSecond, .range = {0, 1'000'000}}, // 0 = off
    {.name = "burst", .member = &RL::burst, .range = {0, 1'000'000}}, // 0 = one second's worth
    {.name = "key", .member = &RL::key, .problem = rateLimitKeyProblem},
};

using Ad = AdminConfig;
const Key<Ad> kAdmin[] = {
    {.name = "enabled", .member = &Ad::enabled},
    {.name = "address", .member = &Ad::address, .problem = listenAddressProblem},
    {.name = "port", .member = &Ad::port, .range = {0, 65535}}, // 0 = any free port
};

QT_WARNING_POP

} // namespace

// clang-format off
template <> std::span<const Key<LabConfig>> keysOf<LabConfig>() { return kLab; }
template <> std::span<const Key<StickyConfig>> keysOf<StickyConfig>() { return kSticky; }
template <> std::span<const Key<TrafficConfig>> keysOf<TrafficConfig>() { return kTraffic; }
template <> std::span<const Key<ListenerConfig>> keysOf<ListenerConfig>() { return kListener; }
template <> std::span<const Key<BackendConfig>> keysOf<BackendConfig>() { return kBackend; }
template <> std::span<const Key<FaultProfile>> keysOf<FaultProfile>() { return kFaults; }
template <> std::span<const Key<HealthConfig>> keysOf<HealthConfig>() { return kHealth; }
template <> std::span<const Key<OutlierConfig>> keysOf<OutlierConfig>() { return kOutlier; }
template <> std::span<const Key<BreakerConfig>> keysOf<BreakerConfig>() { return kBreaker; }
template <> std::span<const Key<RetryConfig>> keysOf<RetryConfig>() { return kRetry; }
template <> std::span<const Key<LimitsConfig>> keysOf<LimitsConfig>() { return kLimits; }
template <> std::span<const Key<TimeoutsConfig>> keysOf<TimeoutsConfig>() { return kTimeouts; }
template <> std::span<const Key<ProxyConfig>> keysOf<ProxyConfig>() { return kProxy; }
template <> std::span<const Key<RateLimitConfig>> keysOf<RateLimitConfig>() { return kRateLimit; }
template <> std::span<const Key<AdminConfig>> keysOf<AdminConfig>() { return kAdmin; }
// clang-format on

} // namespace lab::schema
