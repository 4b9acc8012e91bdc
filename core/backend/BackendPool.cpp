#include "BackendPool.h"

#include "balancing/Balancer.h"

#include <QVarLengthArray>
#include <chrono>
#include <algorithm>

namespace lab {

qint64 steadyNowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

BackendPool::BackendPool(const QList<BackendConfig>& backends, const QString& algorithm)
    : m_balancer(makeBalancer(algorithm))
{
    Q_ASSERT(m_balancer);
    for (const BackendConfig& c : backends)
        add(c);
}

BackendPool::~BackendPool() = default;

BackendPtr BackendPool::add(const BackendConfig& c, QString* error)
{
    QMutexLocker lock(&m_mutex);
    auto fail = [error](const QString& why) {
        if (error)
            *error = why;
        return BackendPtr();
    };
    if (m_nextId >= kMaxBackends)
        return fail(QStringLiteral("cannot add %1: a lab holds at most %2 backends over its lifetime").arg(c.name).arg(kMaxBackends));
    for (const BackendPtr& b : m_backends) {
        if (b->name == c.name)
            return fail(QStringLiteral("cannot add %1: a backend with that name is already in the pool").arg(c.name));
    }
    auto b = std::make_shared<Backend>();
    b->id = m_nextId++;
    b->name = c.name;
    b->nameUtf8 = c.name.toUtf8();
    b->host = c.host;
    b->port = quint16(c.port);
    b->hostHeader = c.host.toUtf8() + ':' + QByteArray::number(c.port);
    b->weight = c.weight;
    m_backends.push_back(b);
    return b;
}

bool BackendPool::remove(const QString& name)
{
    QMutexLocker lock(&m_mutex);
    const auto it = std::find_if(m_backends.begin(), m_backends.end(), [&](const BackendPtr& b) { return b->name == name; });
    if (it == m_backends.end())
        return false;
    m_backends.erase(it);
    return true;
}

bool BackendPool::setAlgorithm(const QString& algorithm)
{
    std::unique_ptr<Balancer> next = makeBalancer(algorithm);
    if (!next)
        return false;
    QMutexLocker lock(&m_mutex);
    m_balancer = std::move(next);
    return true;
}

BackendPtr BackendPool::pick(const PickContext& context, std::span<const int> tried)
{
    const qint64 now = steadyNowMs();
    QVarLengthArray<Backend*, 32> healthy;
    QVarLengthArray<Backend*, 32> fallback;
    QMutexLocker lock(&m_mutex);
    for (const BackendPtr& b : m_backends) {
        if (!b->enabled.load(std::memory_order_relaxed) ||
            std::find(tried.begin(), tried.end(), b->id) != tried.end())
            continue;
        (b->passivelyDown(now) ? fallback : healthy).append(b.get());
    }
    auto& set = healthy.isEmpty() ? fallback : healthy;
    if (set.isEmpty())
        return nullptr;
    Backend* chosen = m_balancer->pick(std::span<Backend* const>(set.data(), size_t(set.size())), context);
    for (const BackendPtr& b : m_backends) {
        if (b.get() == chosen)
            return b;
    }
    return nullptr;
}

std::vector<BackendPtr> BackendPool::backends() const
{
    QMutexLocker lock(&m_mutex);
    return m_backends;
}

BackendPtr BackendPool::byName(const QString& name) const
{
    QMutexLocker lock(&m_mutex);
    for (const BackendPtr& b : m_backends) {
        if (b->name == name)
            return b;
    }
    return nullptr;
}

int BackendPool::size() const
{
    QMutexLocker lock(&m_mutex);
    return int(m_backends.size());
}

QString BackendPool::algorithm() const
{
    QMutexLocker lock(&m_mutex);
    return m_balancer->name();
}

void BackendPool::markConnectFailure(Backend& b) const
{
    b.passiveDownUntilMs.store(steadyNowMs() + kPassiveHoldMs, std::memory_order_relaxed);
}

void BackendPool::markSuccess(Backend& b) const
{
    if (b.passiveDownUntilMs.load(std::memory_order_relaxed) != 0)
        b.passiveDownUntilMs.store(0, std::memory_order_relaxed);
}

} // namespace lab
