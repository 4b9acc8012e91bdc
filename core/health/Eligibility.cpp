#include "Eligibility.h"

#include "backend/Backend.h"

namespace lab {

Eligibility classify(const Backend& b, qint64 nowMs, bool panic)
{
    if (!b.enabled.load(std::memory_order_relaxed))
        return Eligibility::Draining;
    const bool healthy = b.healthy.load(std::memory_order_relaxed);
    if (!healthy && !panic)
        return Eligibility::Unhealthy;
    const CircuitBreaker::State breaker = b.breakerNow();
    if (breaker == CircuitBreaker::State::Open)
        return Eligibility::BreakerOpen;
    if (b.ejected(nowMs))
        return Eligibility::Ejected;
    if (b.passivelyDown(nowMs))
        return Eligibility::PassiveHold;
    if (breaker == CircuitBreaker::State::HalfOpen)
        return Eligibility::HalfOpen;
    if (b.slowStartSinceMs.load(std::memory_order_relaxed) != 0)
        return Eligibility::SlowStart;
    return healthy ? Eligibility::Eligible : Eligibility::PanicRouted;
}

PickTier pickTier(Eligibility e)
{
    switch (e) {
    case Eligibility::Eligible:
    case Eligibility::PanicRouted:
    case Eligibility::HalfOpen:
    case Eligibility::SlowStart: return PickTier::Preferred;
    case Eligibility::Ejected:
    case Eligibility::PassiveHold: return PickTier::Fallback;
    case Eligibility::BreakerOpen:
    case Eligibility::Unhealthy:
    case Eligibility::Draining: return PickTier::Excluded;
    }
    return PickTier::Excluded;
}

const char* eligibilityName(Eligibility e)
{
    switch (e) {
    case Eligibility::Eligible: return "eligible";
    case Eligibility::PanicRouted: return "panic-routed";
    case Eligibility::HalfOpen: return "half-open";
    case Eligibility::SlowStart: return "slow-start";
    case Eligibility::Ejected: return "ejected";
    case Eligibility::PassiveHold: return "passive-hold";
    case Eligibility::BreakerOpen: return "breaker-open";
    case Eligibility::Unhealthy: return "unhealthy";
    case Eligibility::Draining: return "draining";
    }
    return "?";
}

bool panicRouting(int enabledCount, int healthyCount)
{
    return enabledCount > 0 && healthyCount * 100 < kPanicPercent * enabledCount;
}

} // namespace lab
