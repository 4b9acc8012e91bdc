#include "HealthTimeline.h"

#include "StateColors.h"
#include "backend/BackendPool.h"
#include "lab/Lab.h"

#include <QPainter>
#include <algorithm>

namespace lab {

namespace {
constexpr int kLabelWidth = 110;
constexpr int kLane = 30;
constexpr int kLegend = 50;

// Bands nest by height, so one drawn later never hides an earlier state entirely.
int bandInset(HealthBand::Kind kind)
{
    switch (kind) {
    case HealthBand::Kind::Down: return 8;
    case HealthBand::Kind::Ejected: return 12;
    case HealthBand::Kind::CircuitOpen:
    case HealthBand::Kind::HalfOpen: return 16;
    case HealthBand::Kind::SlowStart: return 20;
    }
    return 8;
}
} // namespace

QColor HealthTimeline::bandColor(HealthBand::Kind kind)
{
    switch (kind) {
    case HealthBand::Kind::Down: return StateColors::down;
    case HealthBand::Kind::Ejected: return StateColors::ejected;
    case HealthBand::Kind::CircuitOpen: return StateColors::circuitOpen;
    case HealthBand::Kind::HalfOpen: return StateColors::halfOpen;
    case HealthBand::Kind::SlowStart: return StateColors::slowStart;
    }
    return {};
}

std::vector<HealthBand> HealthTimeline::bands(const std::vector<HealthMark>& marks, qint64 nowMs, qint64 ejectedUntilMs,
                                              int slowStartMs)
{
    std::vector<HealthBand> out;
    auto close = [&](qint64& since, HealthBand::Kind kind, qint64 endMs) {
        if (since >= 0)
            out.push_back({kind, since, endMs});
        since = -1;
    };
    qint64 downSince = -1, ejectedSince = -1, openSince = -1, halfSince = -1;
    for (const HealthMark& m : marks) {
        switch (m.kind) {
        case HealthMark::Kind::Down:
            if (downSince < 0)
                downSince = m.atMs;
            break;
        case HealthMark::Kind::Up: close(downSince, HealthBand::Kind::Down, m.atMs); break;
        case HealthMark::Kind::Ejected:
            close(ejectedSince, HealthBand::Kind::Ejected, m.atMs);
            ejectedSince = m.atMs;
            break;
        case HealthMark::Kind::Returned: close(ejectedSince, HealthBand::Kind::Ejected, m.atMs); break;
        case HealthMark::Kind::BreakerOpen:
            close(halfSince, HealthBand::Kind::HalfOpen, m.atMs);
            if (openSince < 0)
                openSince = m.atMs;
            break;
        case HealthMark::Kind::BreakerHalfOpen:
            close(openSince, HealthBand::Kind::CircuitOpen, m.atMs);
            if (halfSince < 0)
                halfSince = m.atMs;
            break;
        case HealthMark::Kind::BreakerClosed:
            close(openSince, HealthBand::Kind::CircuitOpen, m.atMs);
            close(halfSince, HealthBand::Kind::HalfOpen, m.atMs);
            break;
        case HealthMark::Kind::SlowStart:
            if (slowStartMs > 0)
                out.push_back({HealthBand::Kind::SlowStart, m.atMs, m.atMs + slowStartMs});
            break;
        case HealthMark::Kind::ProbePassed:
        case HealthMark::Kind::ProbeFailed: break;
        }
    }
    close(downSince, HealthBand::Kind::Down, nowMs);
    close(ejectedSince, HealthBand::Kind::Ejected, ejectedUntilMs ? qMin(nowMs, ejectedUntilMs) : nowMs);
    close(openSince, HealthBand::Kind::CircuitOpen, nowMs);
    close(halfSince, HealthBand::Kind::HalfOpen, nowMs);
    std::stable_sort(out.begin(), out.end(), [](const HealthBand& a, const HealthBand& b) { return a.kind < b.kind; });
    return out;
}

HealthTimeline::HealthTimeline(Lab* lab, QWidget* parent)
    : QWidget(parent)
    , m_lab(lab)
{
    setObjectName(QStringLiteral("healthTimeline"));
    setMinimumHeight(120);
    setToolTip(
        tr("The last two minutes per backend. Ticks: health probes (green passed, red failed). Bands: red = down by "
           "the probes, orange = ejected after failures on real traffic, purple = circuit open (pale: half-open), "
           "blue = slow start."));
}

void HealthTimeline::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().base());
    const qint64 now = m_lab->pool()->now(); // the clock the marks were written on
    // The span grows with the lab's age, 30 s at first and then in 30 s steps up to two minutes, so a
    // young lab's history is not squeezed into the right edge.
    // One copy of each backend's timeline per paint; the bands need marks from before the span too.
    const QList<BackendId> ids = m_lab->backendIds(); // one lane per backend, in the board's order
    std::vector<std::vector<HealthMark>> timelines(size_t(ids.size()));
    qint64 earliest = now;
    for (int i = 0; i < ids.size(); ++i) {
        if (const BackendPtr b = m_lab->poolBackend(ids[i])) {
            timelines[size_t(i)] = b->marksSince(0);
            for (const HealthMark& m : timelines[size_t(i)]) {
                if (m.atMs >= now - qint64(kSpanSeconds) * 1000) {
                    earliest = qMin(earliest, m.atMs);
                    break;
                }
            }
        }
    }
    const int span = qBound(30, int((now - earliest) / 30'000 + 1) * 30, kSpanSeconds);
    const qint64 from = now - qint64(span) * 1000;
    const int left = kLabelWidth;
    const int width = qMax(10, this->width() - left - 6);
    auto xOf = [&](qint64 t) {
        return left + int(double(t - from) * width / (span * 1000.0));
    };

    const int slowMs = m_lab->pool()->slowStartMs();
    const int count = int(ids.size());
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    p.setFont(small);
    for (int i = 0; i < count; ++i) {
        const int top = 4 + i * kLane;
        if (top + kLane > height() - kLegend)
            break;
        const QRect lane(left, top, width, kLane - 6);
        p.fillRect(lane, QColor(0xf4, 0xf4, 0xf4));
        p.setPen(palette().text().color());
        p.drawText(QRect(2, top, kLabelWidth - 6, kLane - 6), Qt::AlignVCenter | Qt::AlignLeft,
                   m_lab->backendConfig(ids[i]).name);
        const BackendPtr b = m_lab->poolBackend(ids[i]);
        if (!b)
            continue;
        const std::vector<HealthMark>& marks = timelines[size_t(i)];
        const std::vector<HealthBand> laneBands = bands(marks, now, b->ejectedUntilMs.load(), slowMs);
        const HealthBand* previous = nullptr;
        for (const HealthBand& band : laneBands) {
            // Two bands of a kind closer than 2 px (a backend ejected again ms after its last ejection
            // ended) stay two: the later one starts 2 px after the earlier one's end.
            const bool sameKind = previous && previous->kind == band.kind;
            const int previousEnd = sameKind ? xOf(qMin(previous->toMs, now)) : 0;
            previous = &band;
            if (band.toMs < from || band.fromMs > now)
                continue;
            int x0 = xOf(qMax(band.fromMs, from));
            if (sameKind && x0 < previousEnd + 2)
                x0 = previousEnd + 2;
            const int x1 = qMax(x0 + 1, xOf(qMin(band.toMs, now)));
            const int inset = bandInset(band.kind);
            p.fillRect(QRect(x0, lane.top() + inset, x1 - x0, lane.height() - inset), bandColor(band.kind));
        }
        // Probe ticks on top.
        for (const HealthMark& m : marks) {
            if (m.atMs < from || (m.kind != HealthMark::Kind::ProbePassed && m.kind != HealthMark::Kind::ProbeFailed))
                continue;
            const bool passed = m.kind == HealthMark::Kind::ProbePassed;
            p.setPen(QPen(passed ? StateColors::probePassed : StateColors::probeFailed, passed ? 1 : 2));
            const int x = xOf(m.atMs);
            p.drawLine(x, lane.top(), x, lane.top() + (passed ? 6 : 9));
        }
    }
    // Time axis and legend.
    const int axisY = height() - kLegend + 2;
    p.setPen(palette().text().color());
    const int step = span / 3 >= 30 ? 30 : 10;
    for (int s = 0; s <= span; s += step) {
        const int x = xOf(from + qint64(s) * 1000);
        p.drawLine(x, axisY, x, axisY + 3);
        const QRect box = s == span ? QRect(x - 60, axisY + 3, 60, 14) : QRect(x - 30, axisY + 3, 60, 14);
        p.drawText(box, s == span ? Qt::AlignRight : Qt::AlignHCenter,
                   s == span ? tr("now") : tr("-%1 s").arg(span - s));
    }
    struct Key {
        QColor colour;
        QString text;
    };
    const Key keys[] = {{StateColors::probePassed, tr("probe ok")},
                        {StateColors::probeFailed, tr("probe failed")},
                        {StateColors::down, tr("down")},
                        {StateColors::ejected, tr("ejected")},
                        {StateColors::circuitOpen, tr("circuit open")},
                        {StateColors::halfOpen, tr("half-open")},
                        {StateColors::slowStart, tr("slow start")}};
    int x = 4;
    int keyY = height() - 30;
    for (const Key& k : keys) {
        const int w = p.fontMetrics().horizontalAdvance(k.text);
        if (x + 13 + w > this->width() - 4 && x > 4) { // wrap onto a second line
            x = 4;
            keyY += 15;
        }
        p.fillRect(QRect(x, keyY + 2, 10, 10), k.colour);
        p.setPen(palette().text().color());
        p.drawText(QPoint(x + 13, keyY + 11), k.text);
        x += 13 + w + 10;
    }
}

} // namespace lab
