#include "ChartsPanel.h"

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

namespace {

const QColor kTotalColor(0x22, 0x22, 0x22);

QChart* makeChart(const QString& title)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setMargins(QMargins(2, 2, 2, 2));
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->setBackgroundRoundness(0);
    chart->legend()->setAlignment(Qt::AlignBottom);
    return chart;
}

ChartView* makeView(QChart* chart, QValueAxis* x, const QString& tip)
{
    auto* view = new ChartView(chart, x);
    view->setMinimumSize(200, 150);
    view->setToolTip(tip);
    return view;
}

void setupAxes(QChart* chart, QValueAxis* x, QValueAxis* y, const QString& yTitle)
{
    x->setLabelFormat(QStringLiteral("%.0f s"));
    x->setRange(-ChartsPanel::kSpanSeconds, 0);
    x->setTickCount(4);
    x->setMinorTickCount(1);
    y->setLabelFormat(QStringLiteral("%.0f"));
    y->setTitleText(yTitle);
    y->setMin(0);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
}

// Points are kept on the panel's clock; the charts show them relative to now (-60 s .. 0).
QList<QPointF> relative(const QList<QPointF>& points, double now)
{
    QList<QPointF> out;
    out.reserve(points.size());
    for (const QPointF& p : points)
        out.append({p.x() - now, p.y()});
    return out;
}

void trim(QList<QPointF>& points, double from)
{
    qsizetype n = 0;
    while (n < points.size() && points[n].x() < from)
        ++n;
    if (n > 0)
        points.remove(0, n);
}

} // namespace

ChartsPanel::ChartsPanel(QWidget* parent)
    : QWidget(parent)
    , m_rateChart(makeChart(tr("Requests/s at each backend (retries included)")))
    , m_rateX(new QValueAxis)
    , m_rateY(new QValueAxis)
    , m_latencyChart(makeChart(tr("Proxy latency (ms)")))
    , m_latencyX(new QValueAxis)
    , m_latencyY(new QValueAxis)
    , m_shareChart(makeChart(tr("Share since Reset (not live)")))
    , m_dotSeries(new QScatterSeries)
    , m_share(new QPieSeries)
    , m_legend(new QWidget)
{
    setupAxes(m_rateChart, m_rateX, m_rateY, tr("req/s, stacked by backend"));
    setupAxes(m_latencyChart, m_latencyX, m_latencyY, tr("ms (step-mode holds not counted)"));
    m_latencyY->setLabelFormat(QStringLiteral("%.1f"));
    m_rateChart->legend()->hide(); // the strip under the charts names the bands in full
    m_totals << makeTotal();
    // p99 is drawn thin over a wide p50: where they are equal (one histogram bucket) both still show.
    m_p50.pen = QPen(QColor(0x1f, 0x77, 0xb4), 4);
    m_p99.pen = QPen(QColor(0xd6, 0x27, 0x28), 1.5);
    for (auto [line, name] : {std::pair{&m_p50, tr("p50")}, std::pair{&m_p99, tr("p99")}}) {
        // The first segment's series always exists: it carries the legend entry.
        auto* s = new QLineSeries;
        s->setName(name);
        s->setPen(line->pen);
        m_latencyChart->addSeries(s);
        s->attachAxis(m_latencyX);
        s->attachAxis(m_latencyY);
        line->series << s;
    }
    m_dotSeries->setName(tr("1 dot = 1 request"));
    m_dotSeries->setMarkerShape(QScatterSeries::MarkerShapeCircle);
    m_dotSeries->setMarkerSize(7);
    m_dotSeries->setColor(QColor(0x1f, 0x77, 0xb4));
    m_dotSeries->setBorderColor(QColor(0x10, 0x40, 0x70));
    m_latencyChart->addSeries(m_dotSeries);
    m_dotSeries->attachAxis(m_latencyX);
    m_dotSeries->attachAxis(m_latencyY);
    m_shareChart->addSeries(m_share);
    m_shareChart->legend()->hide(); // the colours are the legend strip's
    m_share->setPieSize(0.85);

    auto* reset = new QPushButton(tr("Reset"));
    reset->setObjectName(QStringLiteral("resetCharts"));
    reset->setToolTip(tr("Count from now on: the charts, the share and the board's requests, errors and "
                         "percentiles start again from 0."));
    connect(reset, &QPushButton::clicked, this, &ChartsPanel::resetRequested);

    m_rateView = makeView(m_rateChart, m_rateX,
                          tr("How many requests each backend received per second, over the last minute, as "
                             "bands stacked on each other; the dark line on top is the total. Stop a backend "
                             "and watch its band thin to nothing while the others widen. A request the proxy "
                             "retries counts at every backend it reaches, so with retries the total is above "
                             "the rate the clients send (the status bar's)."));
    m_latencyView = makeView(m_latencyChart, m_latencyX,
                             tr("Median (p50) and tail (p99) latency of requests through the proxy, per "
                                "second. No requests, no point: the line stops in an idle gap. A second with "
                                "fewer than %1 requests shows each request as a dot at its own latency. Time a "
                                "request is held in step mode waiting for you is not counted. Add latency to "
                                "one backend and watch p99 move first.")
                                 .arg(kLineMinRequests));
    m_shareView = makeView(m_shareChart, nullptr,
                           tr("Which backend served what share of the requests since the last reset: "
                              "round robin makes equal slices; weights make them proportional."));
    m_rateView->setObjectName(QStringLiteral("rateChart"));
    m_latencyView->setObjectName(QStringLiteral("latencyChart"));
    m_shareView->setObjectName(QStringLiteral("shareChart"));
    m_legend->setObjectName(QStringLiteral("chartLegend"));
    m_prompt = fileDialogPrompt(this);
    addSaveAction(Chart::Rate, QStringLiteral("requests-per-second.png"));
    addSaveAction(Chart::Latency, QStringLiteral("latency.png"));
    addSaveAction(Chart::Share, QStringLiteral("share.png"));
    new FlowLayout(m_legend, 12, 0);

    auto* charts = new QHBoxLayout;
    charts->setSpacing(4);
    charts->addWidget(m_rateView, 3);
    charts->addWidget(m_latencyView, 3);
    charts->addWidget(m_shareView, 2);
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(m_legend, 1);
    bottom->addWidget(reset, 0, Qt::AlignRight | Qt::AlignVCenter);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addLayout(charts, 1);
    layout->addLayout(bottom);
    applyFonts();
    rebuildLegend();
    updateShare(MetricsHistory());
}

void ChartsPanel::addSaveAction(Chart chart, const QString& suggested)
{
    ChartView* view = chartView(chart);
    auto* save = new QAction(tr("Save as PNG…"), view);
    save->setObjectName(QStringLiteral("savePng-") + view->objectName());
    view->addAction(save);
    view->setContextMenuPolicy(Qt::ActionsContextMenu);
    connect(save, &QAction::triggered, this, [this, chart, suggested] {
        const QString path = m_prompt(tr("Save the chart as PNG"), suggested, tr("PNG images (*.png)"));
        if (path.isEmpty())
            return;
        QString error;
        Q_EMIT message(saveChartPng(chart, path, &error)
                           ? tr("chart saved to %1").arg(QFileInfo(path).absoluteFilePath())
                           : error);
    });
}

ChartView* ChartsPanel::chartView(Chart chart) const
{
    switch (chart) {
    case Chart::Rate: return m_rateView;
    case Chart::Latency: return m_latencyView;
    case Chart::Share: break;
    }
    return m_shareView;
}

bool ChartsPanel::saveChartPng(Chart chart, const QString& path, QString* error)
{
    if (chartView(chart)->grab().save(path, "PNG"))
        return true;
    if (error)
        *error = tr("cannot write the PNG file %1").arg(path);
    return false;
}

bool ChartsPanel::savePanelPng(const QString& path, QString* error)
{
    if (grab().save(path, "PNG"))
        return true;
    if (error)
        *error = tr("cannot write the PNG file %1").arg(path);
    return false;
}

void ChartsPanel::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    // A chart lives in a graphics scene, which does not inherit the widget's font: the window's zoom
    // reaches it here.
    if (event->type() == QEvent::FontChange)
        applyFonts();
}

void ChartsPanel::applyFonts()
{
    QFont title = font();
    title.setBold(true);
    QFont small = font();
    small.setPointSizeF(font().pointSizeF() * 0.85);
    for (QChart* chart : {m_rateChart, m_latencyChart, m_shareChart}) {
        chart->setTitleFont(title);
        chart->legend()->setFont(small);
        for (QAbstractAxis* axis : chart->axes()) {
            axis->setLabelsFont(small);
            axis->setTitleFont(small);
        }
    }
    for (QPieSlice* s : m_share->slices())
        s->setLabelFont(small);
    for (ChartView* v : {m_rateView, m_latencyView, m_shareView})
        v->setFont(font());
}

QAreaSeries* ChartsPanel::makeArea(int id, const QString& name)
{
    auto* upper = new QLineSeries;
    auto* lower = new QLineSeries;
    auto* area = new QAreaSeries(upper, lower);
    // An area series does not own its edges: they go with it (the chart owns the area).
    upper->setParent(area);
    lower->setParent(area);
    area->setName(name);
    const QColor c = backendColor(id);
    area->setColor(c);
    area->setBorderColor(c.darker(130));
    m_rateChart->addSeries(area);
    area->attachAxis(m_rateX);
    area->attachAxis(m_rateY);
    // The total stays on top of the bands.
    for (QLineSeries* total : std::as_const(m_totals)) {
        m_rateChart->removeSeries(total);
        m_rateChart->addSeries(total);
        total->attachAxis(m_rateX);
        total->attachAxis(m_rateY);
    }
    return area;
}

QLineSeries* ChartsPanel::makeTotal()
{
    auto* total = new QLineSeries; // the chart owns it once added
    total->setName(tr("total"));
    QPen pen(kTotalColor);
    pen.setWidthF(1.5);
    total->setPen(pen);
    m_rateChart->addSeries(total);
    total->attachAxis(m_rateX);
    total->attachAxis(m_rateY);
    return total;
}

ChartsPanel::Band& ChartsPanel::bandFor(int id, const QString& name)
{
    auto it = m_bands.find(id);
    if (it != m_bands.end()) {
        it->name = name;
        return *it;
    }
    Band band;
    band.name = name;
    band.areas << makeArea(id, name);
    return *m_bands.insert(id, band);
}

int ChartsPanel::rateRunCount() const
{
    return int(m_totals.size());
}

void ChartsPanel::pause()
{
    m_paused = true;
}

void ChartsPanel::updateRates(double t)
{
    // The ticks in runs between gaps: each run is its own area per band and its own total line, so no
    // shape bridges a span without samples (a pause drew a straight ramp across it, trial 5).
    QList<qsizetype> runStarts{0};
    for (qsizetype i = 1; i < qsizetype(m_ticks.size()); ++i) {
        if (m_ticks[size_t(i)].runStart)
            runStarts << i;
    }
    const qsizetype runs = m_ticks.empty() ? 1 : runStarts.size();
    auto fitCount = [&](auto& list, auto make) {
        while (list.size() < runs)
            list << make();
        while (list.size() > runs) {
            auto* s = list.takeLast();
            m_rateChart->removeSeries(s);
            delete s; // an area takes its edges with it
        }
    };
    fitCount(m_totals, [this] { return makeTotal(); });
    for (auto it = m_bands.begin(); it != m_bands.end(); ++it) {
        const int id = it.key();
        const QString name = it->name;
        fitCount(it->areas, [this, id, name] { return makeArea(id, name); });
        it->top.clear();
    }
    double maxRate = 10;
    for (qsizetype r = 0; r < runs; ++r) {
        const qsizetype first = m_ticks.empty() ? 0 : runStarts[r];
        const qsizetype end = r + 1 < runStarts.size() ? runStarts[r + 1] : qsizetype(m_ticks.size());
        // Each band is stacked on the bands of lower ids, tick by tick; a backend absent at a tick (not yet
        // added, or removed since) is 0 there.
        QList<QPointF> below;
        for (qsizetype i = first; i < end; ++i)
            below.append({m_ticks[size_t(i)].t, 0});
        for (auto it = m_bands.begin(); it != m_bands.end(); ++it) {
            QList<QPointF> top = below;
            for (qsizetype i = first; i < end; ++i)
                top[i - first].ry() += m_ticks[size_t(i)].rates.value(it.key());
            it->areas[r]->lowerSeries()->replace(relative(below, t));
            it->areas[r]->upperSeries()->replace(relative(top, t));
            it->top += top;
            below = std::move(top);
        }
        m_totals[r]->replace(relative(below, t));
        for (const QPointF& p : std::as_const(below))
            maxRate = std::max(maxRate, p.y());
    }
    m_rateY->setRange(0, maxRate * 1.1);
    m_rateY->applyNiceNumbers();
}

void ChartsPanel::updateLatency(LatencyLine& line, double t)
{
    const double from = t - kSpanSeconds;
    for (QList<QPointF>& segment : line.segments)
        trim(segment, from);
    line.segments.removeIf([](const QList<QPointF>& s) { return s.isEmpty(); });
    while (line.series.size() < qMax<qsizetype>(1, line.segments.size())) {
        auto* s = new QLineSeries;
        s->setPen(line.pen);
        s->setName(line.series.first()->name());
        m_latencyChart->addSeries(s);
        s->attachAxis(m_latencyX);
        s->attachAxis(m_latencyY);
        for (QLegendMarker* m : m_latencyChart->legend()->markers(s))
            m->setVisible(false);
        line.series << s;
    }
    while (line.series.size() > qMax<qsizetype>(1, line.segments.size())) {
        QLineSeries* s = line.series.takeLast();
        m_latencyChart->removeSeries(s);
        delete s;
    }
    for (qsizetype i = 0; i < line.series.size(); ++i) {
        const QList<QPointF> points = i < line.segments.size() ? line.segments[i] : QList<QPointF>();
        line.series[i]->replace(relative(points, t));
        line.series[i]->setPointsVisible(points.size() == 1); // a lone sample has no line to draw
    }
}

void ChartsPanel::updateDots(const MetricsHistory& history, bool sparse, double t)
{
    const LatencySummary now = history.latest().listener.latency;
    LatencySummary fresh = now;
    if (now.total >= m_seen.total)
        fresh.subtract(m_seen); // else a new proxy counts from 0: all it has is new
    m_seen = now;
    if (sparse && fresh.total > 0) {
        // One dot per request, at its bucket's middle narrowed to the fastest and slowest recorded: within
        // half a bucket (1.6 %) of what it took. A sparse second has fewer than kLineMinRequests of them.
        int drawn = 0;
        for (int b = 0; b < LatencyHistogram::kBuckets && drawn < kLineMinRequests; ++b) {
            for (std::uint64_t n = fresh.buckets[size_t(b)]; n > 0 && drawn < kLineMinRequests; --n, ++drawn) {
                double us = double(LatencyHistogram::bucketLowerMicros(b) + LatencyHistogram::bucketUpperMicros(b)) / 2;
                if (now.minMicros <= now.maxMicros)
                    us = std::clamp(us, double(now.minMicros), double(now.maxMicros));
                m_dots.append({t, us / 1000.0});
            }
        }
    }
    trim(m_dots, t - kSpanSeconds);
    m_dotSeries->replace(relative(m_dots, t));
}

void ChartsPanel::addSample(const MetricsHistory& history, double t)
{
    if (history.isEmpty())
        return;
    m_now = t;
    const MetricsSnapshot& now = history.latest();
    const double from = t - kSpanSeconds;

    RateTick tick;
    tick.t = t;
    tick.runStart = m_paused && !m_ticks.empty();
    if (tick.runStart) {
        m_gaps.push_back({m_ticks.back().t, t});
        for (LatencyLine* line : {&m_p50, &m_p99})
            line->open = false; // the next point starts a new segment
    }
    m_paused = false;
    QSet<int> present;
    for (const BackendStats& b : now.backends) {
        present.insert(b.id);
        bandFor(b.id, b.name);
        tick.rates.insert(b.id, history.requestRate(b.id, 1000));
    }
    m_ticks.push_back(std::move(tick));
    while (!m_ticks.empty() && m_ticks.front().t < from)
        m_ticks.pop_front();
    // Backends that were removed: their bands go.
    for (auto it = m_bands.begin(); it != m_bands.end();) {
        if (!present.contains(it.key())) {
            for (QAreaSeries* area : std::as_const(it->areas)) {
                m_rateChart->removeSeries(area);
                delete area; // and its edges
            }
            it = m_bands.erase(it);
        } else {
            ++it;
        }
    }
    // A 9 s lesson on a 60 s axis was squeezed into the right edge (trial 3): until there is a minute
    // of samples the time axis spans only what there is, in steps of 10, 20, 30 and 60 s.
    const double have = t - m_ticks.front().t;
    const int span = have <= 10 ? 10 : have <= 20 ? 20 : have <= 30 ? 30 : kSpanSeconds;
    for (QValueAxis* x : {m_rateX, m_latencyX}) {
        if (x->min() != -span) {
            x->setRange(-span, 0);
            x->setTickCount(span <= 20 ? 3 : 4);
        }
    }
    updateRates(t);

    // A second without requests has no latency: the segment ends, the next request starts another. A
    // second with a few has no percentile to speak of: its requests are dots.
    const LatencySummary l = history.recentLatency(-1, 1000);
    const bool any = l.total >= std::uint64_t(kLineMinRequests);
    updateDots(history, !any, t);
    for (auto [line, p] : {std::pair{&m_p50, 50.0}, std::pair{&m_p99, 99.0}}) {
        if (any) {
            if (!line->open)
                line->segments.append(QList<QPointF>());
            line->segments.last().append({t, l.percentileMs(p)});
        }
        line->open = any;
        updateLatency(*line, t);
    }
    double maxLatency = 1;
    for (const LatencyLine* line : {&m_p50, &m_p99})
        for (const QList<QPointF>& segment : line->segments)
            for (const QPointF& p : segment)
                maxLatency = std::max(maxLatency, p.y());
    for (const QPointF& p : std::as_const(m_dots))
        maxLatency = std::max(maxLatency, p.y());
    m_latencyY->setRange(0, maxLatency * 1.1);
    m_latencyY->applyNiceNumbers();

    while (!m_markers.empty() && m_markers.front().seconds < from)
        m_markers.pop_front();
    while (!m_gaps.empty() && m_gaps.front().to < from)
        m_gaps.pop_front();
    if (!m_ticks.empty() && m_ticks.front().runStart)
        m_ticks.front().runStart = false; // the run before it has left the span
    for (ChartView* v : {m_rateView, m_latencyView}) {
        v->setMarkers(markers(), m_now);
        v->setGaps(gaps());
    }
    m_sinceReset = history.hasBaseline();
    updateShare(history);
    rebuildLegend();
}

void ChartsPanel::rebuildLegend()
{
    QString key;
    for (auto it = m_bands.cbegin(); it != m_bands.cend(); ++it)
        key += QString::number(it.key()) + QLatin1Char('=') + it->name + QLatin1Char('\n');
    if (key == m_legendKey && !m_legend->layout()->isEmpty())
        return;
    m_legendKey = key;
    QLayout* flow = m_legend->layout();
    while (QLayoutItem* item = flow->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    auto entry = [&](const QColor& colour, const QString& swatch, const QString& name) {
        auto* l = new QLabel(QStringLiteral("<span style=\"color:%1\">%2</span>&nbsp;%3")
                                 .arg(colour.name(), swatch, name.toHtmlEscaped()));
        l->setObjectName(QStringLiteral("legend-") + name);
        l->setProperty("backend", name);
        flow->addWidget(l);
    };
    for (auto it = m_bands.cbegin(); it != m_bands.cend(); ++it)
        entry(backendColor(it.key()), QStringLiteral("&#9632;"), it->name);
    entry(kTotalColor, QStringLiteral("&#9473;"), tr("total"));
}

void ChartsPanel::reset()
{
    m_shareLabel.clear();
    m_shareOffsetPending = false;
    m_shareOffset.clear();
    m_shareChart->setTitle(shareTitle());
    m_ticks.clear();
    m_gaps.clear();
    m_paused = false;
    for (QValueAxis* x : {m_rateX, m_latencyX}) {
        x->setRange(-kSpanSeconds, 0);
        x->setTickCount(4);
    }
    m_markers.clear();
    m_dots.clear();
    m_dotSeries->clear();
    for (LatencyLine* line : {&m_p50, &m_p99}) {
        line->segments.clear();
        line->open = false;
        updateLatency(*line, m_now);
    }
    updateRates(m_now);
    for (ChartView* v : {m_rateView, m_latencyView}) {
        v->setMarkers({}, m_now);
        v->setGaps({});
    }
}

double ChartsPanel::shownSpanSeconds() const
{
    return -m_rateX->min();
}

void ChartsPanel::addMarker(double seconds, const QString& label)
{
    m_markers.push_back({seconds, label});
    while (m_markers.size() > 200) // bounded: a flood of changes keeps the newest
        m_markers.pop_front();
    for (ChartView* v : {m_rateView, m_latencyView})
        v->setMarkers(markers(), std::max(m_now, seconds));
}

QList<QList<QPointF>> ChartsPanel::latencySegments(int percentile) const
{
    return percentile == 99 ? m_p99.segments : m_p50.segments;
}

QList<QPointF> ChartsPanel::rateBandTop(const QString& backend) const
{
    for (const Band& b : m_bands) {
        if (b.name == backend)
            return b.top;
    }
    return {};
}

} // namespace lab
