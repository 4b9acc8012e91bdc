#include "ChartsPanel.h"

// The share pie: each backend's part of the answers since Reset (or since a lesson's step), apart from the
// time charts.

#include "BackendColors.h"

#include "FlowLayout.h"
#include "metrics/MetricsHistory.h"

#include <QAction>
#include <QAreaSeries>
#include <QChart>
#include <QEvent>
#include <QFileInfo>
#include <QGraphicsLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPieSeries>
#include <QPieSlice>
#include <QPushButton>
#include <QScatterSeries>
#include <QSet>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>

namespace lab {

void ChartsPanel::updateShare(const MetricsHistory& history)
{
    QHash<QString, quint64> counts;
    QList<BackendStats> backends;
    if (!history.isEmpty())
        backends = history.latest().backends;
    if (m_shareOffsetPending) {
        m_shareOffsetPending = false;
        m_shareOffset.clear();
        for (const BackendStats& b : std::as_const(backends))
            m_shareOffset.insert(b.id, history.sinceBaseline(b.id).requests);
    }
    for (const BackendStats& b : std::as_const(backends)) {
        const quint64 n = history.sinceBaseline(b.id).requests;
        const quint64 offset = qMin(n, m_shareOffset.value(b.id));
        counts[b.name] = n - offset;
    }
    quint64 total = 0;
    for (quint64 c : std::as_const(counts))
        total += c;
    const auto slices = m_share->slices();
    for (QPieSlice* s : slices) {
        if (!counts.contains(s->property("backend").toString()))
            m_share->remove(s);
    }
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.85);
    for (const BackendStats& b : std::as_const(backends)) {
        QPieSlice* slice = nullptr;
        for (QPieSlice* s : m_share->slices()) {
            if (s->property("backend").toString() == b.name)
                slice = s;
        }
        if (!slice) {
            slice = m_share->append(b.name, 0);
            slice->setProperty("backend", b.name);
            slice->setColor(backendColor(b.id));
            slice->setLabelPosition(QPieSlice::LabelInsideHorizontal);
            slice->setLabelColor(Qt::white);
            slice->setLabelFont(small);
        }
        const quint64 c = counts.value(b.name);
        slice->setValue(double(c));
        // The colours are the legend strip's, which names the backends; a slice says its share.
        slice->setLabel(total ? QStringLiteral("%1%").arg(100.0 * double(c) / double(total), 0, 'f', 0) : QString());
        slice->setLabelVisible(c > 0 && double(c) >= 0.04 * double(total)); // a sliver has no room for a label
    }
    // No requests: no pie at all (an all-zero pie is drawn as a full disc of one colour).
    m_share->setVisible(total > 0);
    m_shareView->setEmptyText(total > 0          ? QString()
                                  : m_sinceReset ? tr("No requests since Reset")
                                                 : tr("No requests yet"));
}

void ChartsPanel::startShareAt(const QString& label)
{
    m_shareLabel = label;
    m_shareOffsetPending = true;
    m_shareChart->setTitle(shareTitle());
}

QString ChartsPanel::shareTitle() const
{
    return m_shareLabel.isEmpty() ? tr("Share since Reset (not live)") : tr("Share since %1").arg(m_shareLabel);
}

QHash<QString, quint64> ChartsPanel::shares() const
{
    QHash<QString, quint64> out;
    for (QPieSlice* s : m_share->slices())
        out[s->property("backend").toString()] = quint64(s->value());
    return out;
}

QString ChartsPanel::shareEmptyText() const
{
    return m_shareView->emptyText();
}

} // namespace lab
