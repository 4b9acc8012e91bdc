#pragma once

#include <QColor>
#include <QWidget>
#include <vector>

namespace lab {

class Lab;
struct HealthMark;

// A stretch of time a backend spent in one state, as the Health tab draws it.
struct HealthBand {
    enum class Kind { Down, Ejected, CircuitOpen, HalfOpen, SlowStart };
    Kind kind = Kind::Down;
    qint64 fromMs = 0; // steady clock
    qint64 toMs = 0;
    bool operator==(const HealthBand&) const = default;
};

// Each backend's health over the last two minutes (less while the lab is younger), one lane per backend: probe ticks
// (green passed, red failed) along the top, and bands for the states that keep it out of rotation — down by the probes,
// ejected, circuit open / half-open — and for slow start. Reads the backends' timelines when painted;
// the window repaints it twice a second.
class HealthTimeline final : public QWidget {
    Q_OBJECT
public:
    static constexpr int kSpanSeconds = 120;
    explicit HealthTimeline(Lab* lab, QWidget* parent = nullptr);
    QSize sizeHint() const override { return {420, 260}; }

    // The bands of one backend's timeline (marks oldest first) in drawing order: by kind (taller bands
    // first), each kind in time order. A band
    // still open runs to nowMs (an ejection to ejectedUntilMs when that is earlier). A backend is only
    // ejected again once its last ejection is over, so an Ejected mark while one is open (its Returned
    // mark not written yet: the pool notices the end within 100 ms) ends the earlier band there.
    static std::vector<HealthBand> bands(const std::vector<HealthMark>& marks, qint64 nowMs, qint64 ejectedUntilMs,
                                         int slowStartMs);
    static QColor bandColor(HealthBand::Kind kind);

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    Lab* m_lab;
};

} // namespace lab
