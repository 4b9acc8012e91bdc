#include "Balancer.h"

#include "IpHash.h"
#include "LeastConnections.h"
#include "LeastLatency.h"
#include "Maglev.h"
#include "PowerOfTwoChoices.h"
#include "RandomBalancer.h"
#include "RingHash.h"
#include "RoundRobin.h"
#include "WeightedRoundRobin.h"
#include "backend/Backend.h"
#include "http/HttpMessage.h"

#include <cstdio>

namespace lab {

quint64 hash64(QByteArrayView data, quint64 seed)
{
    quint64 h = 0xcbf29ce484222325ULL ^ seed;
    for (char c : data) {
        h ^= quint8(c);
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

int weightOf(const Backend& b)
{
    return qMax(1, b.weight.load(std::memory_order_relaxed));
}

EligibleById::EligibleById(std::span<Backend* const> eligible)
{
    int maxId = 0;
    for (Backend* b : eligible)
        maxId = qMax(maxId, b->id);
    m_byId.resize(maxId + 1);
    std::fill(m_byId.begin(), m_byId.end(), nullptr);
    for (Backend* b : eligible)
        m_byId[b->id] = b;
}

bool TableWeights::stale(std::span<Backend* const> eligible) const
{
    if (m_weights.empty())
        return true;
    for (Backend* b : eligible) {
        if (size_t(b->id) >= m_weights.size() || m_weights[size_t(b->id)] != weightOf(*b))
            return true;
    }
    return false;
}

void TableWeights::rebuiltFor(std::span<Backend* const> eligible)
{
    m_weights.assign(kMaxBackendIds, 0);
    for (Backend* b : eligible)
        m_weights[size_t(b->id)] = weightOf(*b);
}

bool HashKeySpec::parse(const QString& text, HashKeySpec* out)
{
    HashKeySpec k;
    if (text == QLatin1String("client")) {
        k.source = Source::Client;
    } else if (text == QLatin1String("path")) {
        k.source = Source::Path;
    } else if (text.startsWith(QLatin1String("header:")) && text.size() > 7) {
        k.source = Source::Header;
        k.name = text.mid(7).toLatin1();
    } else if (text.startsWith(QLatin1String("cookie:")) && text.size() > 7) {
        k.source = Source::Cookie;
        k.name = text.mid(7).toLatin1();
    } else {
        return false;
    }
    *out = k;
    return true;
}

QByteArray HashKeySpec::keyOf(const PickContext& c) const
{
    switch (source) {
    case Source::Client: break;
    case Source::Path: return c.path;
    case Source::Header:
        if (c.request && c.request->hasHeader(name))
            return c.request->header(name);
        break; // no such header: fall back to the client address
    case Source::Cookie:
        if (c.request) {
            bool found = false;
            const QByteArray v = c.request->cookie(name, &found);
            if (found)
                return v;
        }
        break; // no such cookie: fall back to the client address
    }
    const quint32 v4 = c.clientAddress.toIPv4Address();
    return v4 ? QByteArray::number(v4) : c.clientAddress.toString().toLatin1();
}

quint64 HashKeySpec::hashOf(const PickContext& c) const
{
    if (source == Source::Client) {
        if (const quint32 v4 = c.clientAddress.toIPv4Address()) {
            char buf[16]; // the same bytes keyOf() returns, without allocating
            const int n = std::snprintf(buf, sizeof buf, "%u", v4);
            return hash64(QByteArrayView(buf, n));
        }
    }
    return hash64(keyOf(c));
}

std::unique_ptr<Balancer> makeBalancer(const QString& name, const HashKeySpec& key)
{
    if (name == QLatin1String("round-robin"))
        return std::make_unique<RoundRobin>();
    if (name == QLatin1String("weighted-round-robin"))
        return std::make_unique<WeightedRoundRobin>();
    if (name == QLatin1String("least-connections"))
        return std::make_unique<LeastConnections>();
    if (name == QLatin1String("power-of-two-choices"))
        return std::make_unique<PowerOfTwoChoices>();
    if (name == QLatin1String("random"))
        return std::make_unique<RandomBalancer>();
    if (name == QLatin1String("ip-hash"))
        return std::make_unique<IpHash>();
    if (name == QLatin1String("ring-hash"))
        return std::make_unique<RingHash>(key);
    if (name == QLatin1String("maglev"))
        return std::make_unique<Maglev>(key);
    if (name == QLatin1String("least-latency"))
        return std::make_unique<LeastLatency>();
    return nullptr;
}

QString algorithmSummary(const QString& name)
{
    if (name == QLatin1String("round-robin"))
        return QStringLiteral(
            "Each request goes to the next backend in turn: a, b, c, a, b, c. Ignores weights and load.");
    if (name == QLatin1String("weighted-round-robin"))
        return QStringLiteral(
            "nginx's smooth weighted round robin: weights 5,1,1 give a a b a c a a, spreading the heavy one out.");
    if (name == QLatin1String("least-connections"))
        return QStringLiteral(
            "The backend with the fewest requests in flight per unit of weight; ties go round robin.");
    if (name == QLatin1String("power-of-two-choices"))
        return QStringLiteral("Draw two backends at random and take the less busy one: nearly as good as "
                              "least-connections, far cheaper at scale.");
    if (name == QLatin1String("random"))
        return QStringLiteral("A random backend, with probability proportional to its weight.");
    if (name == QLatin1String("ip-hash"))
        return QStringLiteral("The client's address picks the backend (hash mod N): a client sticks to one backend "
                              "while the set stays the same.");
    if (name == QLatin1String("ring-hash"))
        return QStringLiteral("Consistent hashing on a ring of virtual nodes: removing 1 of N backends moves only "
                              "about 1/N of the keys.");
    if (name == QLatin1String("maglev"))
        return QStringLiteral("Google's Maglev: a 65537-slot lookup table filled from per-backend permutations; even "
                              "spread, minimal movement.");
    if (name == QLatin1String("least-latency"))
        return QStringLiteral(
            "Peak-EWMA of observed latency times (requests in flight + 1): slow or busy backends get less.");
    return {};
}

} // namespace lab
