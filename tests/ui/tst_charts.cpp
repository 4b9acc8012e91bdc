// The window's visuals tell the truth: gaps, stacked rates, an empty share, Reset, markers, zoom, the
// title and a proxy bar that fits small screens.
#include "BackendTableModel.h"
#include "ChartsPanel.h"
#include "FlowView.h"
#include "MainWindow.h"
#include "ProxyPanel.h"
#include "TestHttp.h"
#include "TestLab.h"
#include "balancing/Balancer.h"
#include "balancing/Registry.h"
#include "config/LabConfig.h"
#include "lab/Lab.h"
#include "metrics/MetricsHistory.h"
#include "proxy/Proxy.h"

#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>

using namespace lab;
using namespace lab::test;

namespace {

QString outputPath(const QString& fileName)
{
    return qEnvironmentVariable("LAB_TEST_OUTPUT_DIR", QDir::tempPath()) + QLatin1Char('/') + fileName;
}

// A snapshot with `requests` requests so far on the listener and on each backend (ids 0..n-1), each of
// them 2 ms.
MetricsSnapshot snapshotAt(qint64 ms, const QList<std::uint64_t>& perBackend)
{
    MetricsSnapshot s;
    s.takenAtMs = ms;
    const int bucket = LatencyHistogram::bucketOf(2000);
    for (int id = 0; id < perBackend.size(); ++id) {
        BackendStats b;
        b.id = id;
        b.name = QStringLiteral("backend-%1").arg(8001 + id);
        b.traffic.requests = perBackend[id];
        b.traffic.responsesByClass[2] = perBackend[id];
        b.traffic.latency.buckets[size_t(bucket)] = perBackend[id];
        b.traffic.latency.total = perBackend[id];
        s.listener.add(b.traffic);
        s.backends << b;
    }
    return s;
}

// How many pixels of the image have exactly this colour.
int pixelsOf(const QImage& image, const QColor& colour)
{
    int n = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            n += QColor(image.pixel(x, y)).rgb() == colour.rgb();
    return n;
}

// Pixels within `tolerance` of the colour in each channel (an antialiased thin line is never exact).
int pixelsNear(const QImage& image, const QColor& colour, int tolerance)
{
    int n = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x) {
            const QColor c(image.pixel(x, y));
            n += qAbs(c.red() - colour.red()) <= tolerance && qAbs(c.green() - colour.green()) <= tolerance &&
                qAbs(c.blue() - colour.blue()) <= tolerance;
        }
    return n;
}

const QColor kBackend0(0x1f, 0x77, 0xb4), kBackend1(0xff, 0x7f, 0x0e), kBackend2(0x2c, 0xa0, 0x2c);

// Every visible widget under `root` lies inside `window`, and shows at least its minimum size hint (a
// label or button narrower than that is cut off).
void verifyInside(QWidget* root, QWidget* window, const QString& where, int minimum)
{
    const QRect bounds = window->rect();
    const QList<QWidget*> widgets = root->findChildren<QWidget*>();
    int checked = 0;
    for (QWidget* child : widgets) {
        if (!child->isVisibleTo(window) || child->isWindow())
            continue;
        const QRect r(child->mapTo(window, QPoint(0, 0)), child->size());
        const QString what = QStringLiteral("%1: %2 '%3' at %4,%5 %6x%7 in %8x%9")
                                 .arg(where, QString::fromLatin1(child->metaObject()->className()), child->objectName())
                                 .arg(r.x())
                                 .arg(r.y())
                                 .arg(r.width())
                                 .arg(r.height())
                                 .arg(bounds.width())
                                 .arg(bounds.height());
        QVERIFY2(bounds.contains(r), qPrintable(what));
        if (qobject_cast<QLabel*>(child) || qobject_cast<QAbstractButton*>(child)) {
            const QSize need = child->minimumSizeHint();
            QVERIFY2(r.width() >= need.width() && r.height() >= need.height(),
                     qPrintable(what + QStringLiteral(" (clipped)")));
        }
        ++checked;
    }
    QVERIFY2(checked >= minimum, qPrintable(QStringLiteral("%1: %2 widgets").arg(where).arg(checked)));
}

} // namespace

class TestCharts : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void historyCountsFromItsBaseline();
    void latencyLineBreaksAtIdleGaps_data();
    void latencyLineBreaksAtIdleGaps();
    void sparseSecondsAreDotsNotAComb_data();
    void sparseSecondsAreDotsNotAComb();
    void equalRatesShowEveryBand();
    void resetWithoutTrafficShowsAnEmptyShare();
    void resetClearsTheBoardAndTheStatusLine();
    void markersFollowChanges_data();
    void markersFollowChanges();
    void markersAreDrawnOnTheTimeCharts();
    void legendNamesEveryBackendInFull();
    void applyShowsPendingEditsOnly();
    void algorithmSummaryBesideTheSelector();
    void zoomScalesFontsAndPersists();
    void titleNamesTheLab();
    void proxyBarFitsTheWindow_data();
    void proxyBarFitsTheWindow();
};

void TestCharts::init()
{
    QSettings settings;
    settings.remove(QStringLiteral("files"));
    settings.remove(QStringLiteral("window"));
    settings.remove(QStringLiteral("view"));
}

void TestCharts::historyCountsFromItsBaseline()
{
    MetricsHistory h;
    h.push(snapshotAt(0, {10, 20}));
    h.push(snapshotAt(1000, {30, 40}));
    QCOMPARE(h.sinceBaseline(0).requests, 30ULL); // no baseline: since the start
    QCOMPARE(h.recentLatency(-1, 10'000).total, 40ULL); // a window longer than the history: since the oldest
    h.setBaseline();
    QVERIFY(h.hasBaseline());
    QCOMPARE(h.sinceBaseline(0).requests, 0ULL);
    QCOMPARE(h.sinceBaseline(-1).requests, 0ULL);
    QCOMPARE(h.recentLatency(0, 10'000).total, 0ULL); // no percentile from before the Reset
    QCOMPARE(h.requestRate(0, 1000), 0.0);
    h.push(snapshotAt(2000, {35, 40, 4})); // backend 2 joined after the baseline: counts from 0
    QCOMPARE(h.sinceBaseline(0).requests, 5ULL);
    QCOMPARE(h.sinceBaseline(1).requests, 0ULL);
    QCOMPARE(h.sinceBaseline(2).requests, 4ULL);
    QCOMPARE(h.sinceBaseline(-1).requests, 9ULL);
    QCOMPARE(h.recentLatency(-1, 10'000).total, 9ULL);
    QCOMPARE(h.sinceBaseline(-1).errors(), 0ULL);
    // Long after the Reset the windows are the usual ones again.
    for (qint64 t = 3000; t <= 15'000; t += 1000)
        h.push(snapshotAt(t, {35 + std::uint64_t(t / 1000), 40, 4}));
    QCOMPARE(h.recentRequests(0, 1000), 1ULL);
    QCOMPARE(h.sinceBaseline(0).requests, 20ULL); // 50 now, 30 at the baseline
    h.clear();
    QVERIFY(!h.hasBaseline());
}

void TestCharts::latencyLineBreaksAtIdleGaps_data()
{
    // One character per second: 't' = requests in that second, '.' = none.
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<int>("segments");
    QTest::newRow("steady") << "tttttttt" << 1;
    QTest::newRow("one gap") << "ttt....ttt" << 2;
    QTest::newRow("two gaps, a lone second") << "tt...t...tt" << 3;
    QTest::newRow("idle from the start") << "....tt" << 1;
    QTest::newRow("never any") << "......" << 0;
}

void TestCharts::latencyLineBreaksAtIdleGaps()
{
    QFETCH(QString, pattern);
    QFETCH(int, segments);
    ChartsPanel panel;
    MetricsHistory h;
    std::uint64_t requests = 0;
    h.push(snapshotAt(0, {0}));
    for (int i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == QLatin1Char('t'))
            requests += 7;
        h.push(snapshotAt(qint64(i + 1) * 1000, {requests}));
        panel.addSample(h, double(i + 1));
    }
    for (int p : {50, 99}) {
        const QList<QList<QPointF>> got = panel.latencySegments(p);
        QCOMPARE(got.size(), segments);
        // A point exactly at every second with requests, none in a second without.
        QList<double> seen;
        for (const QList<QPointF>& s : got) {
            QVERIFY(!s.isEmpty());
            for (const QPointF& point : s) {
                const int second = int(point.x()) - 1;
                QVERIFY2(pattern[second] == QLatin1Char('t'),
                         qPrintable(QStringLiteral("a point at %1 s in '%2'").arg(point.x()).arg(pattern)));
                QVERIFY(point.y() > 0);
                seen << point.x();
            }
        }
        QCOMPARE(seen.size(), int(pattern.count(QLatin1Char('t'))));
    }
}

void TestCharts::sparseSecondsAreDotsNotAComb_data()
{
    // One entry per second: the latencies (ms) of the requests that finished in it; empty = none.
    QTest::addColumn<QList<QList<double>>>("seconds");
    QTest::newRow("1 req/s, one slow backend of three")
        << QList<QList<double>>{{2}, {2}, {200}, {2}, {2}, {200}, {2}, {2}, {200}};
    QTest::newRow("2-5 req/s") << QList<QList<double>>{{2, 200}, {}, {3, 4, 5}, {}, {2, 2, 200, 9, 50}, {}, {7}};
    QTest::newRow("idle, then one") << QList<QList<double>>{{}, {}, {}, {120}};
}

// At 1-5 requests a second a percentile is one or two samples: drawn as lines it is a comb that drops
// and spikes each second. Those seconds draw each request as a dot at its own latency, once; no line, no
// zero, nothing in a second without requests.
void TestCharts::sparseSecondsAreDotsNotAComb()
{
    QFETCH(QList<QList<double>>, seconds);
    ChartsPanel panel;
    panel.resize(900, 320);
    panel.show();
    MetricsHistory h;
    MetricsSnapshot s;
    h.push(s);
    // The panel samples twice a second (as the window does); each request is in one sample only.
    QList<QPointF> expected;
    for (int i = 0; i < seconds.size(); ++i) {
        for (int half = 0; half < 2; ++half) {
            const double t = i + 0.5 * (half + 1);
            s.takenAtMs = qint64(t * 1000);
            if (half == 0) {
                for (double ms : seconds[i]) {
                    const auto us = std::uint64_t(ms * 1000);
                    s.listener.latency.buckets[size_t(LatencyHistogram::bucketOf(us))] += 1;
                    s.listener.latency.total += 1;
                    s.listener.latency.minMicros = std::min(s.listener.latency.minMicros, us);
                    s.listener.latency.maxMicros = std::max(s.listener.latency.maxMicros, us);
                    s.listener.requests += 1;
                    expected << QPointF(t, ms);
                }
            }
            h.push(s);
            panel.addSample(h, t);
        }
    }
    for (int p : {50, 99})
        QVERIFY2(panel.latencySegments(p).isEmpty(), "a line through sparse seconds");
    const QList<QPointF> dots = panel.latencyDots();
    QCOMPARE(dots.size(), expected.size());
    std::sort(expected.begin(), expected.end(),
              [](QPointF a, QPointF b) { return a.x() != b.x() ? a.x() < b.x() : a.y() < b.y(); });
    for (int i = 0; i < dots.size(); ++i) {
        QCOMPARE(dots[i].x(), expected[i].x());
        QVERIFY2(qAbs(dots[i].y() - expected[i].y()) <= expected[i].y() * 0.035,
                 qPrintable(QStringLiteral("dot %1 ms for a %2 ms request").arg(dots[i].y()).arg(expected[i].y())));
    }
    QVERIFY(panel.chartView(ChartsPanel::Chart::Latency)
                ->grab()
                .save(outputPath(QStringLiteral("latency-sparse-%1.png")
                                     .arg(QString::fromLatin1(QTest::currentDataTag()))
                                     .replace(u' ', u'_')
                                     .replace(u'/', u'-'))));
}

void TestCharts::equalRatesShowEveryBand()
{
    ChartsPanel panel;
    panel.resize(900, 260);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    MetricsHistory h;
    for (int i = 0; i <= 20; ++i) {
        const std::uint64_t n = std::uint64_t(i) * 50;
        h.push(snapshotAt(qint64(i) * 500, {n, n, n}));
        panel.addSample(h, double(i) * 0.5);
    }
    // Stacked: each band sits on the ones below, so three equal rates are 1, 2 and 3 times one of them.
    const double one = panel.rateBandTop(QStringLiteral("backend-8001")).last().y();
    QVERIFY(one > 50);
    QCOMPARE(panel.rateBandTop(QStringLiteral("backend-8002")).last().y(), 2 * one);
    QCOMPARE(panel.rateBandTop(QStringLiteral("backend-8003")).last().y(), 3 * one);
    // Every band's colour is on screen, not only the one drawn last.
    QTest::qWait(50);
    const QImage image = panel.findChild<QChartView*>(QStringLiteral("rateChart"))->grab().toImage();
    QVERIFY(image.save(outputPath(QStringLiteral("charts-equal-rates.png"))));
    for (const QColor& c : {kBackend0, kBackend1, kBackend2})
        QVERIFY2(pixelsOf(image, c) > 500, qPrintable(c.name()));
}

void TestCharts::resetWithoutTrafficShowsAnEmptyShare()
{
    RunningLab r;
    MainWindow w(&r.lab);
    w.resize(1280, 720);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    ChartsPanel* charts = w.chartsPanel();
    QCOMPARE(charts->shareEmptyText(), QStringLiteral("No requests yet"));
    for (int i = 0; i < 6; ++i)
        QVERIFY(httpGet(r.port(), "/"));
    QTRY_COMPARE(charts->shares().value(QStringLiteral("backend-8001")), 2ULL);
    QVERIFY(charts->shareEmptyText().isEmpty());
    QChartView* share = charts->findChild<QChartView*>(QStringLiteral("shareChart"));
    QVERIFY(pixelsOf(share->grab().toImage(), kBackend0) > 100);

    QTest::mouseClick(charts->findChild<QPushButton*>(QStringLiteral("resetCharts")), Qt::LeftButton);
    QCOMPARE(charts->shareEmptyText(), QStringLiteral("No requests since Reset"));
    for (quint64 n : charts->shares())
        QCOMPARE(n, 0ULL);
    QTest::qWait(600); // a chart sample or two with no traffic
    const QImage empty = share->grab().toImage();
    QVERIFY(empty.save(outputPath(QStringLiteral("share-after-reset.png"))));
    for (const QColor& c : {kBackend0, kBackend1, kBackend2})
        QCOMPARE(pixelsOf(empty, c), 0); // no disc of any backend's colour

    QVERIFY(httpGet(r.port(), "/"));
    QTRY_VERIFY(charts->shareEmptyText().isEmpty());
    quint64 total = 0;
    for (quint64 n : charts->shares())
        total += n;
    QCOMPARE(total, 1ULL);
}

void TestCharts::resetClearsTheBoardAndTheStatusLine()
{
    RunningLab r;
    MainWindow w(&r.lab);
    BackendTableModel* board = w.backendModel();
    for (int i = 0; i < 9; ++i)
        QVERIFY(httpGet(r.port(), "/"));
    r.lab.stopBackend(r.id(2));
    for (int i = 0; i < 3; ++i) // the one round robin gives 8003 is refused and retried elsewhere
        QCOMPARE(httpGet(r.port(), "/")->status(), 200);
    QTRY_VERIFY(board->row(2).errors > 0);
    QTRY_VERIFY(board->row(0).requests + board->row(1).requests >= 8);
    QVERIFY(board->row(0).p50 > 0);
    QTRY_VERIFY2(w.statusText().contains(QStringLiteral(" 12 requests")), qPrintable(w.statusText()));
    // The board's Err counts the refused attempt at 8003; the client got 200 after the retry, so the status
    // bar, which counts what clients got, has no 5xx and no failure: they differ for the reason the tooltips say.
    QVERIFY2(
        w.statusText().contains(QStringLiteral("5xx from backends 0 · 4xx from backends 0 · failed (no response) 0")),
        qPrintable(w.statusText()));

    w.resetCounters();
    for (int row = 0; row < 3; ++row) {
        QCOMPARE(board->row(row).requests, 0ULL);
        QCOMPARE(board->row(row).errors, 0ULL);
        QCOMPARE(board->row(row).p50, 0.0);
        QCOMPARE(board->row(row).p99, 0.0);
        QCOMPARE(board->index(row, BackendTableModel::Requests).data().toULongLong(), 0ULL);
    }
    QVERIFY2(w.statusText().contains(QStringLiteral(" 0 requests")), qPrintable(w.statusText()));
    QVERIFY2(w.statusText().contains(
                 QStringLiteral("5xx from backends 0 · 4xx from backends 0 · failed (no response) 0 · answered by the "
                                "proxy 0 (5xx 0, 429 rate-limited 0)")),
             qPrintable(w.statusText()));

    for (int i = 0; i < 2; ++i)
        QVERIFY(httpGet(r.port(), "/"));
    QTRY_COMPARE(board->row(0).requests + board->row(1).requests + board->row(2).requests, 2ULL);
    QTRY_VERIFY(board->row(0).p50 > 0 || board->row(1).p50 > 0);
    QTRY_VERIFY(w.statusText().contains(QStringLiteral(" 2 requests")));
}

void TestCharts::markersFollowChanges_data()
{
    QTest::addColumn<QString>("change");
    QTest::addColumn<QString>("label");
    QTest::newRow("algorithm") << "algorithm"
                               << "algorithm → random";
    QTest::newRow("weight") << "weight"
                            << "backend-8002 weight 5";
    QTest::newRow("fault") << "fault"
                           << "backend-8002 faults";
    QTest::newRow("stopped") << "stop"
                             << "backend-8002 stopped";
}

void TestCharts::markersFollowChanges()
{
    QFETCH(QString, change);
    QFETCH(QString, label);
    RunningLab r;
    MainWindow w(&r.lab);
    w.refresh();
    QCOMPARE(w.chartsPanel()->markers().size(), 0);
    QString error;
    if (change == QLatin1String("algorithm")) {
        // Through the selector, as a user does it.
        QComboBox* box = w.proxyPanel()->algorithmBox();
        box->setCurrentIndex(box->findData(QStringLiteral("random")));
        Q_EMIT box->activated(box->currentIndex());
        QCOMPARE(r.lab.config().algorithm, QStringLiteral("random"));
    } else if (change == QLatin1String("weight")) {
        r.lab.setWeight(r.id(1), 5);
    } else if (change == QLatin1String("fault")) {
        FaultProfile f;
        f.latencyMs = 50;
        r.lab.setFaults(r.id(1), f);
    } else if (change == QLatin1String("stop")) {
        r.lab.stopBackend(r.id(1));
    } else {
        for (int row = 0; row < (change == QLatin1String("stop two") ? 2 : 3); ++row)
            r.lab.stopBackend(r.id(row));
    }
    w.refresh();
    const QList<ChartMarker> markers = w.chartsPanel()->markers();
    QCOMPARE(markers.size(), 1);
    QVERIFY2(markers.first().label.compare(label, Qt::CaseInsensitive) == 0, qPrintable(markers.first().label));
    w.refresh();
    QCOMPARE(w.chartsPanel()->markers().size(), 1); // once per change
    w.resetCounters();
    QCOMPARE(w.chartsPanel()->markers().size(), 0);
}

void TestCharts::markersAreDrawnOnTheTimeCharts()
{
    // A minute of a lab: traffic, an idle gap of 15 s, traffic again; the algorithm changes at 40 s.
    ChartsPanel panel;
    panel.resize(1000, 300);
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    MetricsHistory h;
    std::uint64_t n = 0;
    for (int second = 0; second <= 60; ++second) {
        if (second < 20 || second >= 35)
            n += 20 + std::uint64_t(second % 3);
        h.push(snapshotAt(qint64(second) * 1000, {n, n, n}));
        if (second == 40)
            panel.addMarker(40, QStringLiteral("algorithm → random"));
        panel.addSample(h, second);
    }
    QCOMPARE(panel.latencySegments(99).size(), 2);
    QTest::qWait(50);
    for (const QString& name : {QStringLiteral("rateChart"), QStringLiteral("latencyChart")}) {
        auto* view = panel.findChild<QChartView*>(name);
        const QImage image = view->grab().toImage();
        QVERIFY(image.save(outputPath(QStringLiteral("markers-%1.png").arg(name))));
        // The dashed line at -20 s (40 s on a clock now at 60 s): the marker's grey, down the plot.
        const QRectF plot = view->chart()->plotArea();
        const int x = qRound(plot.left() + plot.width() * (60 - 20) / 60.0);
        int grey = 0; // antialiased: a dark grey, not exactly the pen's
        for (int y = int(plot.top()); y < int(plot.bottom()); ++y) {
            bool dark = false;
            for (int dx = -1; dx <= 1; ++dx) {
                const QColor c(image.pixel(x + dx, y));
                dark |= qAbs(c.red() - c.green()) < 24 && qAbs(c.green() - c.blue()) < 24 && c.red() < 0xa0;
            }
            grey += dark;
        }
        QVERIFY2(grey > plot.height() / 4, qPrintable(QStringLiteral("%1: %2 px").arg(name).arg(grey)));
    }
    // p50 and p99 are equal here (every request 2 ms): both lines still show.
    const QImage latency = panel.findChild<QChartView*>(QStringLiteral("latencyChart"))->grab().toImage();
    QVERIFY(pixelsNear(latency, QColor(0x1f, 0x77, 0xb4), 40) > 100);
    QVERIFY(pixelsNear(latency, QColor(0xd6, 0x27, 0x28), 40) > 100);
}

void TestCharts::legendNamesEveryBackendInFull()
{
    LabConfig c = freePortLab();
    BackendConfig fourth = c.backends.last();
    fourth.name = QStringLiteral("backend-8004");
    c.backends << fourth;
    RunningLab r(c);
    MainWindow w(&r.lab);
    w.resize(1024, 768);
    w.viewTabs()->setCurrentIndex(1); // the charts: the main area's second tab, behind the flow view
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QWidget* legend = w.chartsPanel()->legendStrip();
    QTRY_COMPARE(legend->findChildren<QLabel*>().size(), 5); // four backends and the total
    QTest::qWait(100);
    for (int i = 1; i <= 4; ++i) {
        const QString name = QStringLiteral("backend-800%1").arg(i);
        auto* l = legend->findChild<QLabel*>(QStringLiteral("legend-") + name);
        QVERIFY2(l, qPrintable(name));
        QVERIFY(l->text().endsWith(name));
        QVERIFY(l->isVisible());
        QVERIFY2(l->width() >= l->sizeHint().width(), qPrintable(name)); // not cut
    }
    verifyInside(legend, &w, QStringLiteral("legend"), 5);
}

void TestCharts::applyShowsPendingEditsOnly()
{
    RunningLab r;
    MainWindow w(&r.lab);
    ProxyPanel* panel = w.proxyPanel();
    QPushButton* apply = panel->applyButton();
    QVERIFY(!panel->hasPendingChanges());
    QVERIFY(!apply->isEnabled());
    QSpinBox* retries = panel->findChild<QSpinBox*>(QStringLiteral("retries"));
    QVERIFY(retries);
    const int running = retries->value();
    retries->setValue(running == 0 ? 1 : 0);
    QVERIFY(panel->hasPendingChanges());
    QVERIFY(apply->isEnabled());
    QVERIFY(apply->text().contains(QStringLiteral("●")));
    retries->setValue(running); // edited back: nothing to apply
    QVERIFY(!apply->isEnabled());
    // Typed, not yet entered: already pending.
    QSpinBox* connect = panel->findChild<QSpinBox*>(QStringLiteral("connectMs"));
    QVERIFY(connect);
    connect->setFocus();
    connect->selectAll();
    QTest::keyClicks(connect, QStringLiteral("1234"));
    QCOMPARE(connect->value(), r.lab.config().timeouts.connectMs); // keyboard tracking is off
    QVERIFY2(apply->isEnabled(), qPrintable(connect->text()));
    connect->selectAll();
    QTest::keyClicks(connect, QString::number(r.lab.config().timeouts.connectMs)); // typed back
    QVERIFY(!apply->isEnabled());
    retries->setValue(running == 0 ? 1 : 0);
    QTest::mouseClick(apply, Qt::LeftButton);
    QCOMPARE(r.lab.config().retry.retries, retries->value());
    QVERIFY(!apply->isEnabled());
    QVERIFY(!apply->text().contains(QStringLiteral("●")));
}

void TestCharts::algorithmSummaryBesideTheSelector()
{
    RunningLab r;
    MainWindow w(&r.lab);
    auto* summary = w.proxyPanel()->findChild<QLabel*>(QStringLiteral("algorithmSummary"));
    QVERIFY(summary);
    QVERIFY(summary->text().contains(algorithmSummary(QStringLiteral("round-robin"))));
    QString error;
    QVERIFY(r.lab.setAlgorithm(QStringLiteral("maglev"), &error));
    QVERIFY(summary->text().contains(algorithmSummary(QStringLiteral("maglev"))));
    QVERIFY(summary->text().startsWith(QStringLiteral("maglev")));
}

void TestCharts::zoomScalesFontsAndPersists()
{
    RunningLab r;
    const double base = QApplication::font().pointSizeF();
    double zoomed = 0;
    {
        MainWindow w(&r.lab);
        QCOMPARE(w.zoom(), 1.0);
        QCOMPARE(w.font().pointSizeF(), base);
        auto* chart = w.chartsPanel()->findChild<QChartView*>(QStringLiteral("rateChart"))->chart();
        const double chartTitle = chart->titleFont().pointSizeF();
        w.show();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QTest::keyClick(&w, Qt::Key_Equal, Qt::ControlModifier); // Ctrl + (without Shift)
        QTest::keyClick(&w, Qt::Key_Plus, Qt::ControlModifier);
        QVERIFY2(w.zoom() > 1.2, qPrintable(QString::number(w.zoom())));
        zoomed = w.zoom();
        // The views zoom (the flow view, the charts in their graphics scene); the panels, the board and the
        // menus keep their size, so nothing around the views is clipped (trial 5 at 1366x768).
        QCOMPARE(w.viewTabs()->font().pointSizeF(), base * zoomed);
        QCOMPARE(w.flowView()->font().pointSizeF(), base * zoomed);
        QVERIFY(chart->titleFont().pointSizeF() > chartTitle * 1.2);
        QCOMPARE(w.font().pointSizeF(), base);
        QCOMPARE(w.proxyPanel()->algorithmBox()->font().pointSizeF(), base);
        QCOMPARE(w.backendView()->font().pointSizeF(), base);
        QVERIFY(w.grab().save(outputPath(QStringLiteral("mainwindow-zoomed.png"))));
        w.close();
    }
    {
        MainWindow w(&r.lab);
        QCOMPARE(w.zoom(), zoomed); // remembered
        QCOMPARE(w.viewTabs()->font().pointSizeF(), base * zoomed);
        w.show();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QTest::keyClick(&w, Qt::Key_Minus, Qt::ControlModifier);
        QVERIFY(w.zoom() < zoomed);
        QTest::keyClick(&w, Qt::Key_0, Qt::ControlModifier);
        QCOMPARE(w.zoom(), 1.0);
        QCOMPARE(w.viewTabs()->font().pointSizeF(), base);
    }
    QCOMPARE(QSettings().value(QStringLiteral("view/zoom")).toDouble(), 1.0);
}

void TestCharts::titleNamesTheLab()
{
    RunningLab r;
    MainWindow w(&r.lab);
    QCOMPARE(w.windowTitle(), QStringLiteral("Balancer Lab — default lab"));
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("cascading-failover.json"));
    QString error;
    QVERIFY2(saveLabConfig(freePortLab(), file, &error), qPrintable(error));
    QVERIFY2(w.openConfigFile(file, &error), qPrintable(error));
    QCOMPARE(w.windowTitle(), QStringLiteral("Balancer Lab — cascading-failover.json"));
    QVERIFY(w.saveConfigFile(dir.filePath(QStringLiteral("mine.json")), &error));
    QCOMPARE(w.windowTitle(), QStringLiteral("Balancer Lab — mine.json"));
    w.openDefaultLab();
    QCOMPARE(w.windowTitle(), QStringLiteral("Balancer Lab — default lab"));
    r.lab.stopAll();
}

void TestCharts::proxyBarFitsTheWindow_data()
{
    QTest::addColumn<QSize>("size");
    QTest::addColumn<double>("zoom");
    QTest::newRow("1024x768") << QSize(1024, 768) << 1.0;
    QTest::newRow("1280x720") << QSize(1280, 720) << 1.0;
    QTest::newRow("1920x1050") << QSize(1920, 1050) << 1.0;
    QTest::newRow("1280x720 zoomed") << QSize(1280, 720) << 1.3;
    QTest::newRow("1024x768 zoomed") << QSize(1024, 768) << 1.3;
}

void TestCharts::proxyBarFitsTheWindow()
{
    QFETCH(QSize, size);
    QFETCH(double, zoom);
    RunningLab r;
    QString error;
    QVERIFY(r.lab.setAlgorithm(QStringLiteral("power-of-two-choices"), &error)); // the longest name
    RetryConfig retry = r.lab.config().retry;
    retry.retryOn = knownRetryConditions(); // the longest retry button text
    QVERIFY2(r.lab.setProxyOptions(retry, r.lab.config().timeouts, r.lab.config().listeners.first(), &error),
             qPrintable(error));
    MainWindow w(&r.lab);
    w.setZoom(zoom);
    w.resize(size);
    w.viewTabs()->setCurrentIndex(1); // the charts: the main area's second tab, behind the flow view
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    for (int i = 0; i < 20; ++i)
        QVERIFY(httpGet(r.port(), "/"));
    QTest::qWait(1200); // chart samples
    QCOMPARE(w.size(), size);
    const QString name = QStringLiteral("mainwindow-%1x%2%3.png")
                             .arg(size.width())
                             .arg(size.height())
                             .arg(zoom == 1.0 ? QString() : QStringLiteral("-zoomed"));
    QVERIFY(w.grab().save(outputPath(name)));
    verifyInside(w.proxyPanel(), &w, QStringLiteral("proxy bar"), 20);
    verifyInside(w.chartsPanel()->legendStrip(), &w, QStringLiteral("legend"), 4);
    // Every backend's Start/Stop button is in sight on the board, whatever scrolls.
    QTableView* board = w.backendView();
    for (int row = 0; row < 3; ++row) {
        QPushButton* button = w.startStopButton(row);
        QVERIFY(button);
        const QRect r(button->mapTo(board->viewport(), QPoint(0, 0)), button->size());
        QVERIFY2(board->viewport()->rect().contains(r), qPrintable(name));
    }
    // The bar's groups do not overlap each other.
    QList<QRect> groups;
    for (QWidget* g : w.proxyPanel()->findChildren<QWidget*>(Qt::FindDirectChildrenOnly))
        if (g->isVisible())
            groups << g->geometry();
    for (int i = 0; i < groups.size(); ++i)
        for (int j = i + 1; j < groups.size(); ++j)
            QVERIFY(!groups[i].intersects(groups[j]));
    w.setZoom(1);
}

QTEST_MAIN(TestCharts)
#include "tst_charts.moc"
