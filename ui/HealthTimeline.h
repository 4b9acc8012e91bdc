#pragma once

#include <QWidget>

namespace lab {

class Lab;

// Each backend's health over the last two minutes (less while the lab is younger), one lane per backend: probe ticks (green passed, red
// failed) along the top, and bands for the states that keep it out of rotation — down by the probes,
// ejected, circuit open / half-open — and for slow start. Reads the backends' timelines when painted;
// the window repaints it twice a second.
class HealthTimeline final : public QWidget {
    Q_OBJECT
public:
    static constexpr int kSpanSeconds = 120;
    explicit HealthTimeline(Lab* lab, QWidget* parent = nullptr);
    QSize sizeHint() const override { return {420, 260}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    Lab* m_lab;
};

} // namespace lab
