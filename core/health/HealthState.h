#pragma once

namespace lab {

// The rise/fall verdict of active health checks, as HAProxy keeps it (check.c): one counter from 0 to
// rise+fall-1. The backend is up while the counter is at least `rise`. A passed probe adds one (and on
// reaching `rise` jumps to the top: fully up); a failed probe while up takes one away, and the failure
// that would take it below `rise` drops it to 0: down. So an up backend goes down after `fall` failures
// in a row, a down one comes up after `rise` passes in a row, and a single blip is forgiven.
// Pure: no time, no sockets.
class HealthState final {
public:
    explicit HealthState(int rise = 2, int fall = 3, bool startUp = true);

    // Records one probe; true when the verdict flipped.
    bool record(bool passed);
    bool isUp() const { return m_health >= m_rise; }
    int counter() const { return m_health; }
    int rise() const { return m_rise; }
    int fall() const { return m_fall; }
    // Changes the thresholds, keeping the verdict (an up backend stays fully up, a down one starts over).
    void setThresholds(int rise, int fall);
    // For a person: while up, failures so far toward `fall`; while down, passes so far toward `rise`.
    int failuresInARow() const { return isUp() ? top() - m_health : 0; }
    int passesInARow() const { return isUp() ? 0 : m_health; }

private:
    int top() const { return m_rise + m_fall - 1; }

    int m_rise;
    int m_fall;
    int m_health;
};

} // namespace lab
