#pragma once

#include "config/LabConfig.h"

#include <QtGlobal>

namespace lab {

struct Backend;

// Outlier detection on real traffic (Envoy's consecutive-failure detector): a backend that fails
// `consecutiveFailures` requests in a row is ejected for baseEjectionMs × (how many times it was ejected),
// at most maxEjectionMs, unless that would take more than maxEjectionPercent of the pool out at once. The
// ejection ends by time (endIfOver(), from the pool's housekeeping) or early when the active probes pass
// (lift()). Works on the backend's atomics; the caller serialises ejections (the pool's lock) so that the
// share limit counts right, and publishes what changed (events). The time is the caller's clock.
class OutlierDetector final {
public:
    // What onFailure() decided.
    struct Verdict {
        enum class Kind {
            None, // not enough failures in a row yet (or detection off, or already ejected)
            Ejected, // out for durationMs; this is ejection number `count`
            ShareLimit, // would have been ejected, but ejectedNow of poolSize are out already
        };
        Kind kind = Kind::None;
        qint64 durationMs = 0;
        int count = 0;
        int ejectedNow = 0;
        int poolSize = 0;
    };

    void setConfig(const OutlierConfig& config) { m_config = config; }
    const OutlierConfig& config() const { return m_config; }

    // A success resets the count of failures in a row.
    static void onSuccess(Backend& b);
    // A failure: counts it and ejects when the run is long enough and the share allows. `ejectedNow` is how
    // many of the pool's `poolSize` backends are ejected at nowMs. An ejection marks the timeline (and, when
    // the previous one ran out unnoticed, its end at the time it ended).
    Verdict onFailure(Backend& b, qint64 nowMs, int ejectedNow, int poolSize) const;
    // How long ejection number `count` (1, 2, …) lasts.
    qint64 ejectionMs(int count) const;
    // The ejection ran out by nowMs: clears it and marks its end. False when there was none to end.
    static bool endIfOver(Backend& b, qint64 nowMs);
    // The active probes pass: an ejection (running or run out unnoticed) ends now. False when there was none.
    static bool lift(Backend& b, qint64 nowMs);

private:
    OutlierConfig m_config;
};

} // namespace lab
