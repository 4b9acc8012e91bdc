#include "CircuitBreaker.h"

#include <algorithm>

namespace lab {

CircuitBreaker::CircuitBreaker(const BreakerConfig& config)
{
    setConfig(config);
}

CircuitBreaker::Change CircuitBreaker::setConfig(const BreakerConfig& config)
{
    m_config = config;
    m_bucketCount = std::clamp((config.windowMs + 999) / 1000, 1, kMaxBuckets);
    m_enabled = config.enabled;
    clearWindow();
    if (config.enabled || m_state == State::Closed)
        return Change::None;
    m_state = State::Closed;
    m_openUntilMs = 0;
    m_trialsInFlight = 0;
    return Change::SwitchedOff;
}

void CircuitBreaker::startRound()
{
    ++m_round;
    m_trialsInFlight = 0;
}

CircuitBreaker::Change CircuitBreaker::advance(qint64 nowMs)
{
    if (m_state == State::Open && nowMs >= m_openUntilMs) {
        m_state = State::HalfOpen;
        startRound();
        m_periodFirstRound = m_round;
        m_trialSuccesses = 0;
        return Change::HalfOpened;
    }
    if (m_state == State::HalfOpen && m_trialsInFlight > 0 && nowMs >= m_trialsDueMs) {
        startRound();
        return Change::TrialsRenewed;
    }
    return Change::None;
}

bool CircuitBreaker::allows() const
{
    if (!m_config.enabled)
        return true;
    switch (m_state) {
    case State::Closed: return true;
    case State::Open: return false;
    case State::HalfOpen: return m_trialsInFlight + m_trialSuccesses < m_config.halfOpenRequests;
    }
    return true;
}

CircuitBreaker::Trial CircuitBreaker::onPicked(qint64 nowMs)
{
    if (!m_config.enabled || m_state != State::HalfOpen)
        return {};
    if (m_trialsInFlight++ == 0)
        m_trialsDueMs = nowMs + m_config.openMs; // the clock runs while trials are out
    return {m_round};
}

void CircuitBreaker::abandon(Trial trial)
{
    if (m_state == State::HalfOpen && trial.round == m_round && m_trialsInFlight > 0)
        --m_trialsInFlight;
}

void CircuitBreaker::clearWindow()
{
    for (int i = 0; i < kMaxBuckets; ++i) {
        m_buckets[size_t(i)].requests.store(0, std::memory_order_relaxed);
        m_buckets[size_t(i)].failures.store(0, std::memory_order_relaxed);
        m_buckets[size_t(i)].second.store(-1, std::memory_order_release);
    }
}

void CircuitBreaker::open(qint64 nowMs)
{
    m_state = State::Open;
    m_openUntilMs = nowMs + m_config.openMs;
    m_trialsInFlight = 0;
    clearWindow();
}

CircuitBreaker::Change CircuitBreaker::record(bool success, qint64 nowMs, Trial trial)
{
    if (!m_config.enabled)
        return Change::None;
    switch (m_state) {
    case State::Open: return Change::None; // a request that was already on its way when it opened
    case State::HalfOpen:
        if (trial.round < m_periodFirstRound)
            return Change::None; // not a trial of this period: sent before the breaker opened
        abandon(trial); // its slot is free, whatever the outcome
        if (!success) {
            open(nowMs);
            return Change::Reopened;
        }
        if (++m_trialSuccesses >= m_config.halfOpenRequests) {
            m_state = State::Closed;
            m_trialsInFlight = 0;
            clearWindow();
            return Change::Closed;
        }
        return Change::None;
    case State::Closed: break;
    }
    const qint64 second = nowMs / 1000;
    Bucket& b = bucketFor(second);
    if (b.second.load(std::memory_order_acquire) != second) {
        // A new second in this slot: zero the counts first, then claim it (fast-path counts that see
        // the new second land after the zeroing).
        b.requests.store(0, std::memory_order_relaxed);
        b.failures.store(0, std::memory_order_relaxed);
        b.second.store(second, std::memory_order_release);
    }
    b.requests.fetch_add(1, std::memory_order_relaxed);
    if (!success)
        b.failures.fetch_add(1, std::memory_order_relaxed);
    const int requests = windowRequests(nowMs);
    const int failures = windowFailures(nowMs);
    if (requests >= m_config.minRequests && failures * 100 >= m_config.failurePercent * requests) {
        open(nowMs);
        return Change::Opened;
    }
    return Change::None;
}

bool CircuitBreaker::recordSuccessFast(qint64 nowMs)
{
    if (!m_enabled.load(std::memory_order_relaxed))
        return true; // nothing to count
    const qint64 second = nowMs / 1000;
    Bucket& b = bucketFor(second);
    if (b.second.load(std::memory_order_acquire) != second)
        return false;
    b.requests.fetch_add(1, std::memory_order_relaxed);
    return true;
}

int CircuitBreaker::windowSum(qint64 nowMs, std::atomic<int> Bucket::*field) const
{
    const int count = m_bucketCount.load(std::memory_order_relaxed);
    const qint64 oldest = nowMs / 1000 - qint64(count) + 1;
    int n = 0;
    for (int i = 0; i < count; ++i) {
        const Bucket& b = m_buckets[size_t(i)];
        n += b.second.load(std::memory_order_relaxed) >= oldest ? (b.*field).load(std::memory_order_relaxed) : 0;
    }
    return n;
}

int CircuitBreaker::windowRequests(qint64 nowMs) const
{
    return windowSum(nowMs, &Bucket::requests);
}

int CircuitBreaker::windowFailures(qint64 nowMs) const
{
    return windowSum(nowMs, &Bucket::failures);
}

} // namespace lab
