#include "ChartsPanel.h"

#include "metrics/MetricsHistory.h"

#include <QChart>
#include <QChartView>
#include <QGraphicsLayout>
#include <QHBoxLayout>
#include <QLineSeries>
#include <QPieSeries>
#include <QPieSlice>
#include <QPushButton>
#include <QSet>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>

namespace lab {

namespace {

QColor backendColor(int id)
{
    static const QColor palette[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e), QColor(0x2c, 0xa0, 0x2c),
                                     QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b), QColor(0xe3, 0x77, 0xc2),
                                     QColor(0x7f, 0x7f, 0x7f), QColor(0xbc, 0xbd, 0x22), QColor(0x17, 0xbe, 0xcf)};
    return palette[size_t(id) % std::size(palette)];
}

QChart* makeChart(const QString& title)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setMargins(QMargins(2, 2, 2, 2));
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->setBackgroundRoundness(0);
    chart->legend()->setAlignment(Qt::AlignBottom);
    QFont f = chart->titleFont();
    f.setBold(true);
    chart->setTitleFont(f);
    QFont small = chart->legend()->font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    chart->legend()->setFont(small);
    return chart;
}

QChartView* makeView(QChart* chart, const QString& tip)
{
    auto* view = new QChartView(chart);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumSize(220, 170);
    view->setToolTip(tip);
    return view;
}

void setupAxes(QChart* chart, QValueAxis* x, QValueAxis* y, const QString& yTitle)
{
    x->setLabelFormat(QStringLiteral("%.0f s"));
    x->setRange(-ChartsPanel::kSpanSeconds, 0);
    x->setTickCount(7);
    y->setLabelFormat(QStringLiteral("%.0f"));
    y->setTitleText(yTitle);
    y->setMin(0);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
}

} // namespace

ChartsPanel::ChartsPanel(QWidget* parent)
    : QWidget(parent)
    , m_rateChart(makeChart(tr("Requests/s per backend")))
    , m_rateX(new QValueAxis)
    , m_rateY(new QValueAxis)
    , m_latencyChart(makeChart(tr("Proxy latency (ms)")))
    , m_latencyX(new QValueAxis)
    , m_latencyY(new QValueAxis)
    , m_share(new QPieSeries)
{
    setupAxes(m_rateChart, m_rateX, m_rateY, tr("req/s"));
    setupAxes(m_latencyChart, m_latencyX, m_latencyY, tr("ms"));
    m_latencyY->setLabelFormat(QStringLiteral("%.1f"));
    m_p50.series = new QLineSeries;
    m_p50.series->setName(tr("p50"));
    m_p99.series = new QLineSeries;
    m_p99.series->setName(tr("p99"));
    m_p99.series->setColor(QColor(0xd6, 0x27, 0x28));
    m_p50.series->setColor(QColor(0x1f, 0x77, 0xb4));
    for (QLineSeries* s : {m_p50.series, m_p99.series}) {
        m_latencyChart->addSeries(s);
        s->attachAxis(m_latencyX);
        s->attachAxis(m_latencyY);
    }
    auto* shareChart = makeChart(tr("Share since reset"));
    shareChart->addSeries(m_share);
    shareChart->legend()->hide(); // the slices carry their names
    m_share->setPieSize(0.85);

    auto* reset = new QPushButton(tr("Reset"));
    reset->setObjectName(QStringLiteral("resetCharts"));
    reset->setToolTip(tr("Clear the lines and count the share of requests from now on."));
    connect(reset, &QPushButton::clicked, this, &ChartsPanel::reset);
    m_resetButton = reset;

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(makeView(m_rateChart,
                               tr("How many requests each backend received per second, over the last minute. "
                                  "Stop a backend and watch its line fall while the others rise.")),
                      3);
    layout->addWidget(makeView(m_latencyChart,
                               tr("Median (p50) and tail (p99) latency of requests through the proxy, "
                                  "per second. Add latency to one backend and watch p99 move first.")),
                      3);
    auto* shareBox = new QVBoxLayout;
    shareBox->addWidget(makeView(shareChart,
                                 tr("Which backend served what share of the requests since the last reset: "
                                    "round robin makes equal slices; weights make them proportional.")),
                        1);
    shareBox->addWidget(reset, 0, Qt::AlignRight);
    layout->addLayout(shareBox, 2);
}

QLineSeries* ChartsPanel::rateSeriesFor(int id, const QString& name)
{
    auto it = m_rateSeries.find(id);
    if (it != m_rateSeries.end())
        return it->series;
    Line line;
    line.series = new QLineSeries;
    line.series->setName(name);
    QPen pen(backendColor(id));
    pen.setWidthF(2);
    line.series->setPen(pen);
    m_rateChart->addSeries(line.series);
    line.series->attachAxis(m_rateX);
    line.series->attachAxis(m_rateY);
    m_rateSeries.insert(id, line);
    return line.series;
}

// Points are kept on the panel's clock; the charts show them relative to now (-60 s .. 0).
static QList<QPointF> relative(const QList<QPointF>& points, double now)
{
    QList<QPointF> out;
    out.reserve(points.size());
    for (const QPointF& p : points)
        out.append({p.x() - now, p.y()});
    return out;
}

void ChartsPanel::trim(QList<QPointF>& points, double from)
{
    qsizetype n = 0;
    while (n < points.size() && points[n].x() < from)
        ++n;
    if (n > 0)
        points.remove(0, n);
}

void ChartsPanel::addSample(const MetricsHistory& history, double t)
{
    if (history.isEmpty())
        return;
    const MetricsSnapshot& now = history.latest();
    const double from = t - kSpanSeconds;
    double maxRate = 10;
    QSet<int> present;
    for (const BackendStats& b : now.backends) {
        present.insert(b.id);
        m_names[b.id] = b.name;
        rateSeriesFor(b.id, b.name);
        Line& line = m_rateSeries[b.id];
        line.points.append({t, history.requestRate(b.id, 1000)});
        trim(line.points, from);
        for (const QPointF& p : std::as_const(line.points))
            maxRate = std::max(maxRate, p.y());
        line.series->replace(relative(line.points, t));
        if (m_needBaseline || !m_baseline.contains(b.id))
            m_baseline[b.id] = m_needBaseline ? b.traffic.requests : 0; // a backend added later counts from 0
    }
    m_needBaseline = false;
    // Backends that were removed: their lines go.
    for (auto it = m_rateSeries.begin(); it != m_rateSeries.end();) {
        if (!present.contains(it.key())) {
            m_rateChart->removeSeries(it->series);
            delete it->series;
            m_baseline.remove(it.key());
            it = m_rateSeries.erase(it);
        } else {
            ++it;
        }
    }
    m_rateY->setRange(0, maxRate * 1.1);
    m_rateY->applyNiceNumbers();

    const LatencySummary l = history.recentLatency(-1, 1000);
    const bool any = l.total > 0;
    if (any) {
        m_p50.points.append({t, l.percentileMs(50)});
        m_p99.points.append({t, l.percentileMs(99)});
    }
    double maxLatency = 1;
    for (Line* line : {&m_p50, &m_p99}) {
        trim(line->points, from);
        for (const QPointF& p : std::as_const(line->points))
            maxLatency = std::max(maxLatency, p.y());
        line->series->replace(relative(line->points, t));
    }
    m_latencyY->setRange(0, maxLatency * 1.1);
    m_latencyY->applyNiceNumbers();

    // The share pie: one slice per backend, updated in place.
    QHash<QString, quint64> counts;
    for (const BackendStats& b : now.backends)
        counts[b.name] = b.traffic.requests - qMin(b.traffic.requests, m_baseline.value(b.id));
    quint64 total = 0;
    for (quint64 c : std::as_const(counts))
        total += c;
    const auto slices = m_share->slices();
    for (QPieSlice* s : slices) {
        if (!counts.contains(s->property("backend").toString()))
            m_share->remove(s);
    }
    for (const BackendStats& b : now.backends) {
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
        }
        const quint64 c = counts.value(b.name);
        slice->setValue(double(c));
        // The colours are the rate chart's, whose legend names the backends; a slice says its share.
        slice->setLabel(total ? QStringLiteral("%1%").arg(100.0 * double(c) / double(total), 0, 'f', 0) : QString());
        slice->setLabelVisible(c > 0 && double(c) >= 0.04 * double(total)); // a sliver has no room for a label
    }
}

void ChartsPanel::reset()
{
    for (Line& line : m_rateSeries) {
        line.points.clear();
        line.series->clear();
    }
    for (Line* line : {&m_p50, &m_p99}) {
        line->points.clear();
        line->series->clear();
    }
    m_needBaseline = true;
    for (QPieSlice* s : m_share->slices())
        s->setValue(0);
}

QHash<QString, quint64> ChartsPanel::shares() const
{
    QHash<QString, quint64> out;
    for (QPieSlice* s : m_share->slices())
        out[s->property("backend").toString()] = quint64(s->value());
    return out;
}

} // namespace lab
