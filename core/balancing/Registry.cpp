#include "Registry.h"

#include "IpHash.h"
#include "LeastConnections.h"
#include "LeastLatency.h"
#include "Maglev.h"
#include "PowerOfTwoChoices.h"
#include "RandomBalancer.h"
#include "RingHash.h"
#include "RoundRobin.h"
#include "WeightedRoundRobin.h"

namespace lab {

namespace {

template <class T> std::unique_ptr<Balancer> make(const HashKeySpec&)
{
    return std::make_unique<T>();
}

template <class T> std::unique_ptr<Balancer> makeKeyed(const HashKeySpec& key)
{
    return std::make_unique<T>(key);
}

const AlgorithmInfo kAlgorithms[] = {
    {QLatin1String("round-robin"),
     QLatin1String("Each request goes to the next backend in turn: a, b, c, a, b, c. Ignores weights and load."), false,
     make<RoundRobin>},
    {QLatin1String("weighted-round-robin"),
     QLatin1String(
         "nginx's smooth weighted round robin: weights 5,1,1 give a a b a c a a, spreading the heavy one out."),
     false, make<WeightedRoundRobin>},
    {QLatin1String("least-connections"),
     QLatin1String("The backend with the fewest requests in flight per unit of weight; ties go round robin."), false,
     make<LeastConnections>},
    {QLatin1String("power-of-two-choices"),
     QLatin1String("Draw two backends at random and take the less busy one: nearly as good as least-connections, "
                   "far cheaper at scale."),
     false, make<PowerOfTwoChoices>},
    {QLatin1String("random"), QLatin1String("A random backend, with probability proportional to its weight."), false,
     make<RandomBalancer>},
    {QLatin1String("ip-hash"),
     QLatin1String("The client's address picks the backend (hash mod N): a client sticks to one backend while the "
                   "set stays the same."),
     false, make<IpHash>},
    {QLatin1String("ring-hash"),
     QLatin1String("Consistent hashing on a ring of virtual nodes: removing 1 of N backends moves only about 1/N "
                   "of the keys."),
     true, makeKeyed<RingHash>},
    {QLatin1String("maglev"),
     QLatin1String("Google's Maglev: a 65537-slot lookup table filled from per-backend permutations; even spread, "
                   "minimal movement."),
     true, makeKeyed<Maglev>},
    {QLatin1String("least-latency"),
     QLatin1String("Peak-EWMA of observed latency times (requests in flight + 1): slow or busy backends get less."),
     false, make<LeastLatency>},
};

} // namespace

std::span<const AlgorithmInfo> algorithmRegistry()
{
    return kAlgorithms;
}

const AlgorithmInfo* findAlgorithm(QStringView name)
{
    for (const AlgorithmInfo& a : kAlgorithms) {
        if (name == a.name)
            return &a;
    }
    return nullptr;
}

QStringList algorithmNames()
{
    QStringList out;
    for (const AlgorithmInfo& a : kAlgorithms)
        out << a.name;
    return out;
}

QStringList hashKeyAlgorithmNames()
{
    QStringList out;
    for (const AlgorithmInfo& a : kAlgorithms) {
        if (a.usesHashKey)
            out << a.name;
    }
    return out;
}

std::unique_ptr<Balancer> makeBalancer(const QString& name, const HashKeySpec& key)
{
    const AlgorithmInfo* a = findAlgorithm(name);
    return a ? a->make(key) : nullptr;
}

QString algorithmSummary(const QString& name)
{
    const AlgorithmInfo* a = findAlgorithm(name);
    return a ? QString(a->summary) : QString();
}

bool algorithmUsesHashKey(const QString& name)
{
    const AlgorithmInfo* a = findAlgorithm(name);
    return a && a->usesHashKey;
}

} // namespace lab
