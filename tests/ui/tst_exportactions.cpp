// File > Export and the charts' "Save as PNG…", through the window's real actions: a prompt that
// answers with a path stands in for the file dialog, and the files written are read back.
#include "ChartsPanel.h"
#include "ExportMenu.h"
#include "MainWindow.h"
#include "TestHttp.h"
#include "TestLab.h"
#include "TraceModel.h"
#include "metrics/Export.h"

#include <QAction>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMenu>
#include <QMenuBar>
#include <QSettings>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

using namespace lab;
using namespace lab::test;

class TestExportActions final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void dataExportsWriteTheirFiles_data();
    void dataExportsWriteTheirFiles();
    void chartsSaveAsPng_data();
    void chartsSaveAsPng();
    void cancelWritesNothing();

private:
    // A window over a running lab that has served `requests` requests, sampled by the charts.
    struct Fixture {
        RunningLab lab;
        MainWindow window{&lab.lab};
    };
    static void serve(Fixture& f, int requests);
};

void TestExportActions::init()
{
    QSettings settings;
    settings.remove(QStringLiteral("files"));
    settings.remove(QStringLiteral("window"));
    settings.remove(QStringLiteral("view"));
}

void TestExportActions::serve(Fixture& f, int requests)
{
    f.window.resize(1280, 720);
    f.window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&f.window));
    for (int i = 0; i < requests; ++i)
        QVERIFY(httpGet(f.lab.port(), "/"));
    // Two chart samples at least, so that the time series has an interval; the trace caught up.
    QTRY_VERIFY(f.window.exportMenu()->history().snapshots().size() >= 3 &&
                f.window.exportMenu()->history().latest().listener.requests >= quint64(requests));
    QTRY_COMPARE(f.window.traceModel()->rowCount(), requests);
}

void TestExportActions::dataExportsWriteTheirFiles_data()
{
    QTest::addColumn<QString>("action");
    QTest::addColumn<QString>("kind"); // timeseries, trace or summary
    QTest::addColumn<bool>("json");
    QTest::newRow("time series CSV") << "exportTimeSeriesCsv"
                                     << "timeseries" << false;
    QTest::newRow("time series JSON") << "exportTimeSeriesJson"
                                      << "timeseries" << true;
    QTest::newRow("trace CSV") << "exportTraceCsv"
                               << "trace" << false;
    QTest::newRow("trace JSON") << "exportTraceJson"
                                << "trace" << true;
    QTest::newRow("summary CSV") << "exportSummaryCsv"
                                 << "summary" << false;
    QTest::newRow("summary JSON") << "exportSummaryJson"
                                  << "summary" << true;
}

void TestExportActions::dataExportsWriteTheirFiles()
{
    QFETCH(QString, action);
    QFETCH(QString, kind);
    QFETCH(bool, json);
    constexpr int kRequests = 9; // three per backend, round robin
    Fixture f;
    serve(f, kRequests);
    QTemporaryDir dir;
    const QString path = dir.filePath(kind + (json ? QStringLiteral(".json") : QStringLiteral(".csv")));
    f.window.exportMenu()->setSavePathPrompt([&](const QString&, const QString&, const QString&) { return path; });
    auto* a = f.window.findChild<QAction*>(action);
    QVERIFY(a);
    QVERIFY(f.window.exportMenu()->menu()->actions().contains(a)); // in File > Export, not only somewhere
    QMenu* fileMenu = f.window.menuBar()->actions().value(0)->menu();
    QVERIFY(fileMenu && fileMenu->actions().contains(f.window.exportMenu()->menu()->menuAction()));
    a->trigger();
    QFile file(path);
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(path));
    const QByteArray bytes = file.readAll();
    QVERIFY(f.window.statusBar()->currentMessage().contains(QStringLiteral("exported to")));

    const int backends = 3;
    if (json) {
        QJsonParseError error;
        const QJsonObject o = QJsonDocument::fromJson(bytes, &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(o[QStringLiteral("format")].toString(), QStringLiteral("balancer-lab-") + kind);
        QCOMPARE(o[QStringLiteral("version")].toInt(), exports::kFormatVersion);
        if (kind == QLatin1String("timeseries")) {
            const QJsonArray rows = o[QStringLiteral("rows")].toArray();
            QVERIFY(!rows.isEmpty());
            QCOMPARE(rows.size() % (backends + 1), 0);
            double requests = 0;
            for (const QJsonValue& r : rows) {
                if (r.toObject()[QStringLiteral("backendId")].toInt() == -1)
                    requests += r.toObject()[QStringLiteral("requests")].toDouble();
                for (const char* key :
                     {"seconds", "intervalMs", "backend", "requestsPerSecond", "p50Ms", "p99Ms", "errors"})
                    QVERIFY2(r.toObject().contains(QLatin1String(key)), key);
            }
            QCOMPARE(requests, double(kRequests)); // every request sits in exactly one interval
        } else if (kind == QLatin1String("trace")) {
            const QJsonArray entries = o[QStringLiteral("entries")].toArray();
            QCOMPARE(entries.size(), kRequests);
            QCOMPARE(entries[0].toObject()[QStringLiteral("status")].toInt(), 200);
            QVERIFY(entries[0].toObject()[QStringLiteral("servedBy")].toString().startsWith(QStringLiteral("backend")));
        } else {
            QCOMPARE(o[QStringLiteral("total")].toObject()[QStringLiteral("requests")].toInt(), kRequests);
            const QJsonArray list = o[QStringLiteral("backends")].toArray();
            QCOMPARE(list.size(), backends);
            for (const QJsonValue& b : list) {
                QCOMPARE(b.toObject()[QStringLiteral("requests")].toInt(), kRequests / backends);
                QVERIFY(b.toObject()[QStringLiteral("latency")].toObject()[QStringLiteral("p50Ms")].toDouble() > 0);
            }
        }
        return;
    }
    const QList<QStringList> rows = exports::parseCsv(bytes);
    QVERIFY(rows.size() > 1);
    for (const QStringList& r : rows)
        QCOMPARE(r.size(), rows[0].size());
    if (kind == QLatin1String("timeseries")) {
        QCOMPARE(rows[0].value(0), QStringLiteral("seconds"));
        QCOMPARE((rows.size() - 1) % (backends + 1), 0);
    } else if (kind == QLatin1String("trace")) {
        QCOMPARE(rows[0].value(0), QStringLiteral("sequence"));
        QCOMPARE(rows.size(), 1 + kRequests);
    } else {
        QCOMPARE(rows[0].value(0), QStringLiteral("backend_id"));
        QCOMPARE(rows.size(), 1 + 1 + backends);
        QCOMPARE(rows[1].value(2), QString::number(kRequests));
    }
}

void TestExportActions::chartsSaveAsPng_data()
{
    QTest::addColumn<QString>("action");
    QTest::addColumn<QString>("widget"); // whose size the PNG has
    QTest::newRow("File > Export > Charts") << "exportChartsPng"
                                            << "";
    QTest::newRow("rate chart's menu") << "savePng-rateChart"
                                       << "rateChart";
    QTest::newRow("latency chart's menu") << "savePng-latencyChart"
                                          << "latencyChart";
    QTest::newRow("share chart's menu") << "savePng-shareChart"
                                        << "shareChart";
}

void TestExportActions::chartsSaveAsPng()
{
    QFETCH(QString, action);
    QFETCH(QString, widget);
    Fixture f;
    serve(f, 3);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("chart.png"));
    f.window.exportMenu()->setSavePathPrompt([&](const QString&, const QString&, const QString&) { return path; });
    QWidget* shown = widget.isEmpty() ? static_cast<QWidget*>(f.window.chartsPanel())
                                      : f.window.chartsPanel()->findChild<QWidget*>(widget);
    QVERIFY(shown);
    auto* a = f.window.findChild<QAction*>(action);
    QVERIFY(a);
    if (!widget.isEmpty()) { // on the chart's own context menu
        QVERIFY(shown->actions().contains(a));
        QCOMPARE(shown->contextMenuPolicy(), Qt::ActionsContextMenu);
    }
    a->trigger();
    const QImage image(path);
    QVERIFY2(!image.isNull(), qPrintable(path));
    QCOMPARE(image.size(), shown->size() * shown->devicePixelRatio());
    QVERIFY(f.window.statusBar()->currentMessage().contains(QStringLiteral("saved to")));
}

void TestExportActions::cancelWritesNothing()
{
    Fixture f;
    serve(f, 1);
    int asked = 0;
    f.window.exportMenu()->setSavePathPrompt([&](const QString&, const QString&, const QString&) {
        ++asked;
        return QString();
    });
    for (QAction* a : f.window.exportMenu()->menu()->actions())
        a->trigger();
    f.window.findChild<QAction*>(QStringLiteral("savePng-rateChart"))->trigger();
    QCOMPARE(asked, 8); // seven in the menu, one on the chart
    QVERIFY(f.window.statusBar()->currentMessage().isEmpty());
}

QTEST_MAIN(TestExportActions)
#include "tst_exportactions.moc"
