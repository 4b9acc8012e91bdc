#include "HealthState.h"

#include <algorithm>

namespace lab {

HealthState::HealthState(int rise, int fall, bool startUp)
    : m_rise(std::max(1, rise))
    , m_fall(std::max(1, fall))
    , m_health(startUp ? top() : 0)
{
}

bool HealthState::record(bool passed)
{
    const bool wasUp = isUp();
    if (passed) {
        if (m_health < top()) {
            ++m_health;
            if (m_health >= m_rise)
                m_health = top(); // up (or back to fully up after a forgiven blip)
        }
    } else {
        if (m_health > m_rise)
            --m_health; // still up, one step closer to down
        else
            m_health = 0; // the fall-th failure in a row, or any failure while down: start over
    }
    return wasUp != isUp();
}

void HealthState::setThresholds(int rise, int fall)
{
    const bool up = isUp();
    m_rise = std::max(1, rise);
    m_fall = std::max(1, fall);
    m_health = up ? top() : 0;
}

} // namespace lab
