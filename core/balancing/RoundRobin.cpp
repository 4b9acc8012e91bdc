#include "RoundRobin.h"

namespace lab {

Backend* RoundRobin::pick(std::span<Backend* const> eligible, const PickContext&)
{
    return eligible[m_next++ % eligible.size()];
}

std::unique_ptr<Balancer> makeBalancer(const QString& name)
{
    if (name == QLatin1String("round-robin"))
        return std::make_unique<RoundRobin>();
    return nullptr;
}

QString algorithmSummary(const QString& name)
{
    if (name == QLatin1String("round-robin"))
        return QStringLiteral("Each request goes to the next backend in turn: a, b, c, a, b, c. Ignores weights and load.");
    return {};
}

} // namespace lab
