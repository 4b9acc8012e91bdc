// Live reload (issue 17): what a new config changes and the one-line summary (planReload), reloading a
// running lab under load without a failed request while one backend goes and another comes, refusals that
// leave the lab as it was, and `serve --config` on SIGHUP with a bad file, then a good one.
#include "TestHttp.h"
#include "TestLab.h"

#include "backend/BackendPool.h"
#include "lab/LabReload.h"
#include "loadgen/LoadGenerator.h"
#include "proxy/Proxy.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>

using namespace lab;
using namespace lab::test;

Q_DECLARE_METATYPE(lab::LabConfig)

namespace {

LabConfig defaultWith(const std::function<void(LabConfig&)>& change)
{
    LabConfig c = LabConfig::defaultLab();
    change(c);
    return c;
}

BackendConfig embedded(const QString& name, int port)
{
    BackendConfig b;
    b.name = name;
    b.port = port;
    b.embedded = true;
    return b;
}

bool writeConfig(const QString& file, const LabConfig& config)
{
    QString error;
    return saveLabConfig(config, file, &error);
}

// Starts `balancer-lab serve --config file` and reads its port from "listening on ..." on stderr (0 when
// it did not say so within 20 s); `err` keeps what it printed, for the reload lines that follow.
quint16 startServe(QProcess& serve, const QString& file, QString* err)
{
    serve.setProcessChannelMode(QProcess::SeparateChannels);
    serve.start(QStringLiteral(LAB_BINARY), {QStringLiteral("serve"), QStringLiteral("--config"), file});
    if (!serve.waitForStarted())
        return 0;
    const QRegularExpression listening(QStringLiteral("listening on http://127.0.0.1:(\\d+)"));
    QDeadlineTimer deadline(20000);
    while (!deadline.hasExpired()) {
        serve.waitForReadyRead(200);
        *err += QString::fromUtf8(serve.readAllStandardError());
        const QRegularExpressionMatch m = listening.match(*err);
        if (m.hasMatch())
            return quint16(m.captured(1).toUInt());
    }
    return 0;
}

// Up to 40 GETs until one is served by `name`: empty when one was, else what went wrong.
QString answeredBy(quint16 port, const QByteArray& name)
{
    for (int i = 0; i < 40; ++i) {
        const std::optional<TestResponse> r = httpGet(port, "/");
        if (!r)
            return QStringLiteral("request %1 got no answer").arg(i);
        if (r->status() != 200)
            return QStringLiteral("request %1 answered %2").arg(i).arg(r->status());
        if (r->head.header("X-Served-By") == name)
            return {};
    }
    return QStringLiteral("the backend the reload added (%1) never answered").arg(QString::fromLatin1(name));
}

} // namespace

class TestReload : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void summary_data()
    {
        QTest::addColumn<LabConfig>("next");
        QTest::addColumn<QString>("summary");
        QTest::newRow("the same file") << LabConfig::defaultLab() << QStringLiteral("reload: nothing changed");
        QTest::newRow("swap and algorithm") << defaultWith([](LabConfig& c) {
            c.backends.removeAt(1);
            c.backends << embedded(QStringLiteral("backend-8004"), 8004);
            c.algorithm = QStringLiteral("least-connections");
        }) << QStringLiteral("reload: +backend-8004, -backend-8002, algorithm round-robin → least-connections");
        QTest::newRow("weight") << defaultWith([](LabConfig& c) { c.backends[0].weight = 5; })
                                << QStringLiteral("reload: backend-8001 weight 1 → 5");
        QTest::newRow("moved backend") << defaultWith([](LabConfig& c) { c.backends[2].port = 8013; })
                                       << QStringLiteral("reload: backend-8003 127.0.0.1:8003 → 127.0.0.1:8013");
        QTest::newRow("listener") << defaultWith([](LabConfig& c) { c.listeners[0].port = 18950; })
                                  << QStringLiteral("reload: listener http http://127.0.0.1:8000 → "
                                                    "http://127.0.0.1:18950");
        QTest::newRow("admin") << defaultWith([](LabConfig& c) {
            c.admin = {true, QStringLiteral("127.0.0.1"), 18960};
        }) << QStringLiteral("reload: admin off → 127.0.0.1:18960");
        QTest::newRow("settings") << defaultWith([](LabConfig& c) {
            c.retry.retries = 1;
            c.health.intervalMs = 500;
            c.proxy.workers = 3;
        }) << QStringLiteral("reload: health checks, retries, proxy (partly on the next start)");
    }

    void summary()
    {
        QFETCH(LabConfig, next);
        QFETCH(QString, summary);
        const ReloadPlan plan = planReload(LabConfig::defaultLab(), next);
        QVERIFY2(plan.refusal.isEmpty(), qPrintable(plan.refusal));
        QCOMPARE(plan.summary(), summary);
    }

    void embeddedOnPortZeroIsTheRunningOne()
    {
        // The running config has the port an embedded backend got; the file still says 0.
        LabConfig running = LabConfig::defaultLab();
        LabConfig file = running;
        file.backends[0].port = 0;
        running.backends[0].port = 41234;
        QVERIFY(planReload(running, file).changesNothing());
    }

    void listenersComeAndGoByName()
    {
        LabConfig next = LabConfig::defaultLab();
        next.listeners << ListenerConfig{
            QStringLiteral("second"), ListenerKind::Http, QStringLiteral("127.0.0.1"), 8010, {}};
        ReloadPlan plan = planReload(LabConfig::defaultLab(), next);
        QVERIFY2(plan.refusal.isEmpty(), qPrintable(plan.refusal));
        QCOMPARE(plan.listenersAdded, QStringList{QStringLiteral("second")});
        QCOMPARE(plan.summary(), QStringLiteral("reload: +listener second http://127.0.0.1:8010"));
        plan = planReload(next, LabConfig::defaultLab());
        QCOMPARE(plan.listenersRemoved, QStringList{QStringLiteral("second")});
        QCOMPARE(plan.summary(), QStringLiteral("reload: -listener second http://127.0.0.1:8010"));
        // The same name with another kind is not a listener that moved: refused, saying what to do.
        LabConfig relay = LabConfig::defaultLab();
        relay.listeners.first().kind = ListenerKind::Tcp;
        plan = planReload(LabConfig::defaultLab(), relay);
        QVERIFY2(plan.refusal.contains(QStringLiteral("cannot change a listener's kind (http://127.0.0.1:8000 → "
                                                      "tcp://127.0.0.1:8000); give the new one another name")),
                 qPrintable(plan.refusal));
    }

    // A listener added by a reload answers at once on its own port; removed again, its port closes while a
    // request in flight on it still gets its whole answer, the first listener never stops answering, and
    // the lab's totals keep what the removed one counted.
    void listenersAddedAndRemovedLive()
    {
        LabConfig config = freePortLab();
        for (BackendConfig& b : config.backends)
            b.faults.latencyMs = 300; // a request in flight at the moment of the removal
        RunningLab lab(config);
        const LabConfig one = lab.lab.config();
        LabConfig two = one;
        two.listeners << ListenerConfig{
            QStringLiteral("second"), ListenerKind::Http, QStringLiteral("127.0.0.1"), 0, {}};
        QString summary;
        QString error;
        QVERIFY2(lab.lab.reload(two, &summary, &error), qPrintable(error));
        QCOMPARE(summary, QStringLiteral("reload: +listener second http://127.0.0.1:0"));
        QCOMPARE(lab.lab.proxies().size(), size_t(2));
        QCOMPARE(lab.lab.config().listeners.size(), 2);
        const quint16 second = lab.lab.proxies()[1]->port();
        QVERIFY(second != 0 && second != lab.port());
        for (int i = 0; i < 3; ++i) {
            const std::optional<TestResponse> r = httpGet(second, "/");
            QVERIFY(r);
            QCOMPARE(r->status(), 200);
        }
        QTcpSocket inFlight;
        inFlight.connectToHost(QHostAddress::LocalHost, second);
        QVERIFY(inFlight.waitForConnected(5000));
        inFlight.write(getRequest("/"));
        QVERIFY(inFlight.waitForBytesWritten(5000));
        QTRY_VERIFY(lab.lab.proxies()[1]->activeExchanges() == 1);
        const std::uint64_t counted = lab.lab.snapshot().listener.requests;
        QVERIFY(counted >= 3);

        QVERIFY2(lab.lab.reload(one, &summary, &error), qPrintable(error));
        QCOMPARE(summary, QStringLiteral("reload: -listener second http://127.0.0.1:0"));
        QCOMPARE(lab.lab.proxies().size(), size_t(1));
        QCOMPARE(lab.lab.config().listeners, one.listeners);
        QTcpSocket late;
        late.connectToHost(QHostAddress::LocalHost, second);
        QVERIFY(!late.waitForConnected(2000)); // closed at once
        QCOMPARE(late.error(), QAbstractSocket::ConnectionRefusedError);
        QByteArray answer;
        while (!answer.contains("\r\n\r\n") && inFlight.waitForReadyRead(5000))
            answer += inFlight.readAll();
        QVERIFY2(answer.startsWith("HTTP/1.1 200 "), answer.constData());
        const std::optional<TestResponse> first = httpGet(lab.port(), "/");
        QVERIFY(first);
        QCOMPARE(first->status(), 200);
        QTRY_VERIFY(lab.eventContains(QStringLiteral("removed by the reload")));
        QTRY_VERIFY(lab.lab.snapshot().listener.requests >= counted + 1); // never fewer than before
    }

    // A refused reload changes nothing: not the config, not the pool, not the proxy's port.
    void refusedReloadChangesNothing()
    {
        RunningLab lab;
        const LabConfig before = lab.lab.config();
        const quint16 port = lab.port();
        LabConfig next = before;
        next.backends.removeFirst();
        next.algorithm = QStringLiteral("random");
        next.listeners.first().kind = ListenerKind::Tcp;
        QString summary;
        QString error;
        QVERIFY(!lab.lab.reload(next, &summary, &error));
        QVERIFY2(error.contains(QStringLiteral("cannot change a listener's kind")), qPrintable(error));
        QCOMPARE(lab.lab.config(), before);
        QCOMPARE(lab.lab.backendCount(), 3);
        QCOMPARE(lab.lab.pool()->algorithm(), QStringLiteral("round-robin"));
        QCOMPARE(lab.port(), port);
        QTRY_VERIFY(lab.eventContains(QStringLiteral("reload refused: listener http: a reload cannot change")));
        const std::optional<TestResponse> r = httpGet(port, "/");
        QVERIFY(r);
        QCOMPARE(r->status(), 200);
    }

    // Traffic runs the whole time (a bounded closed loop on loopback) while a reload removes one backend,
    // adds another and changes the algorithm: not one request fails, the new backend takes traffic and the
    // removed one leaves once its requests are done.
    void reloadUnderLoadLosesNothing()
    {
        LabConfig config = freePortLab();
        config.health.intervalMs = 200;
        for (BackendConfig& b : config.backends)
            b.faults.latencyMs = 5; // requests in flight at the moment of the reload
        RunningLab lab(config);
        LoadGenerator generator;
        LoadSpec spec;
        spec.port = lab.port();
        // POSTs: the proxy does not retry them elsewhere, so a request cut off on the removed backend would
        // show as a 502 here instead of being hidden by a retry.
        spec.method = "POST";
        spec.body = "reload";
        spec.concurrency = 8;
        spec.durationMs = 4000;
        spec.maxRequests = 20000;
        QString error;
        QVERIFY2(generator.start(spec, &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(generator.totals().completed > 100, 10000);

        LabConfig next = lab.lab.config();
        const QString removed = next.backends[1].name;
        next.backends.removeAt(1);
        next.backends << embedded(QStringLiteral("backend-new"), 0);
        next.backends.last().faults.latencyMs = 5;
        next.algorithm = QStringLiteral("least-connections");
        QString summary;
        QVERIFY2(lab.lab.reload(next, &summary, &error), qPrintable(error));
        QCOMPARE(summary,
                 QStringLiteral("reload: +backend-new, -%1, algorithm round-robin → least-connections").arg(removed));
        QCOMPARE(lab.lab.pool()->algorithm(), QStringLiteral("least-connections"));
        QTRY_VERIFY_WITH_TIMEOUT(!lab.lab.idOf(removed).isValid(), 15000);
        const BackendId added = lab.lab.idOf(QStringLiteral("backend-new"));
        QVERIFY(added.isValid());
        QVERIFY(waitFinished(generator, 20000));

        const LoadTotals t = generator.totals();
        QVERIFY(t.completed > 200);
        QCOMPARE(t.socketErrors, quint64(0));
        QCOMPARE(t.refused + t.connectErrors + t.connectTimeouts, quint64(0));
        QCOMPARE(t.byClass[5], quint64(0));
        QCOMPARE(t.byClass[2], t.completed);
        quint64 onNew = 0;
        for (const BackendStats& b : lab.lab.snapshot().backends) {
            if (b.name == QLatin1String("backend-new"))
                onNew = b.traffic.requests;
        }
        QVERIFY2(onNew > 0, "the backend the reload added took no request");
        QTRY_VERIFY(lab.eventContains(summary));
    }

    // A listener whose port changed re-binds: the new port serves, the old one refuses, and a keep-alive
    // connection accepted on the old one before the reload is still served. A live setting (X-Served-By
    // off) applies to the next response.
    void movedListenerRebinds()
    {
        RunningLab lab;
        const quint16 oldPort = lab.port();
        TestHttpConnection before;
        QVERIFY(before.connectTo(oldPort));
        std::optional<TestResponse> r = before.request(getRequest("/"));
        QVERIFY(r && r->status() == 200);
        QVERIFY(!r->head.header("X-Served-By").isEmpty());

        quint16 newPort = 0;
        {
            QTcpServer probe; // a free port, released for the reload to take
            QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
            newPort = probe.serverPort();
        }
        LabConfig next = lab.lab.config();
        const int configuredPort = next.listeners[0].port;
        next.listeners[0].port = newPort;
        next.proxy.addServedBy = false;
        QString summary;
        QString error;
        QVERIFY2(lab.lab.reload(next, &summary, &error), qPrintable(error));
        QCOMPARE(summary,
                 QStringLiteral("reload: listener http http://127.0.0.1:%1 → http://127.0.0.1:%2, proxy")
                     .arg(configuredPort) // what the file said: 0, any free port
                     .arg(newPort));
        QTRY_COMPARE(lab.port(), newPort);
        r = httpGet(newPort, "/");
        QVERIFY(r);
        QCOMPARE(r->status(), 200);
        QVERIFY(r->head.header("X-Served-By").isEmpty());
        QTRY_VERIFY(connectionRefused(oldPort));
        r = before.request(getRequest("/"));
        QVERIFY2(r, "the connection accepted before the re-bind was dropped");
        QCOMPARE(r->status(), 200);
        QTRY_VERIFY(lab.eventContains(summary));
    }

    // `serve --config FILE` and SIGHUP: a file that does not load is refused with the loader's own error
    // (file, JSON path, what is allowed) and the lab goes on serving as before; a good file is applied.
    void serveReloadsOnSighup()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("lab.json"));
        LabConfig config = freePortLab();
        config.backends.removeLast();
        QVERIFY(writeConfig(file, config));
        QProcess serve;
        QString err;
        const quint16 port = startServe(serve, file, &err);
        QVERIFY2(port != 0, qPrintable(err));

        QFile bad(file);
        QVERIFY(bad.open(QIODevice::WriteOnly | QIODevice::Truncate));
        bad.write(R"({"listeners": [{"port": 0}], "backends": [{"port": 0, "embedded": true, "weight": 0}]})");
        bad.close();
        ::kill(pid_t(serve.processId()), SIGHUP);
        QTRY_VERIFY_WITH_TIMEOUT(
            (err += QString::fromUtf8(serve.readAllStandardError()), err.contains(QStringLiteral("reload refused"))),
            20000);
        QVERIFY2(err.contains(file + QStringLiteral(": backends[0].weight: must be an integer from")), qPrintable(err));
        std::optional<TestResponse> r = httpGet(port, "/");
        QVERIFY(r);
        QCOMPARE(r->status(), 200);

        LabConfig good = config;
        good.backends.removeFirst();
        good.backends << embedded(QStringLiteral("backend-sighup"), 0);
        good.algorithm = QStringLiteral("random");
        QVERIFY(writeConfig(file, good));
        ::kill(pid_t(serve.processId()), SIGHUP);
        const QString line = QStringLiteral("reload: +backend-sighup, -%1, algorithm round-robin → random")
                                 .arg(config.backends.first().name);
        QTRY_VERIFY_WITH_TIMEOUT((err += QString::fromUtf8(serve.readAllStandardError()), err.contains(line)), 20000);
        const QString why = answeredBy(port, "backend-sighup");
        QVERIFY2(why.isEmpty(), qPrintable(why));
        serve.terminate();
        QVERIFY(serve.waitForFinished(20000));
        QCOMPARE(serve.exitCode(), 0);
    }
    // The issue's own check: `serve --config` under wrk (POSTs, which the proxy does not retry elsewhere, so a
    // request cut off on the removed backend would be counted by wrk as a non-2xx answer or a socket
    // error), a SIGHUP halfway that removes one backend and adds another: wrk sees every request answered 200.
    void serveReloadUnderWrkLosesNothing()
    {
        const QString wrk = QStandardPaths::findExecutable(QStringLiteral("wrk"));
        QVERIFY2(!wrk.isEmpty(), "wrk is not installed (scripts/bootstrap installs it)");
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("lab.json"));
        LabConfig config = freePortLab();
        for (BackendConfig& b : config.backends)
            b.faults.latencyMs = 5; // requests in flight at the moment of the reload
        QVERIFY(writeConfig(file, config));
        QProcess serve;
        QString err;
        const quint16 port = startServe(serve, file, &err);
        QVERIFY2(port != 0, qPrintable(err));
        const QString url = QStringLiteral("http://127.0.0.1:%1/reload").arg(port);

        const QString script = dir.filePath(QStringLiteral("post.lua"));
        QFile lua(script);
        QVERIFY(lua.open(QIODevice::WriteOnly));
        lua.write("wrk.method = \"POST\"\nwrk.body = \"reload\"\n");
        lua.close();
        QProcess load; // bounded: 4 s, 8 connections, one thread
        load.start(
            wrk,
            {QStringLiteral("-t1"), QStringLiteral("-c8"), QStringLiteral("-d4s"), QStringLiteral("-s"), script, url});
        QVERIFY(load.waitForStarted());
        QTest::qWait(1500);

        LabConfig next = config;
        const QString removed = next.backends[1].name;
        next.backends.removeAt(1);
        next.backends << embedded(QStringLiteral("backend-wrk"), 0);
        next.backends.last().faults.latencyMs = 5;
        QVERIFY(writeConfig(file, next));
        ::kill(pid_t(serve.processId()), SIGHUP);
        const QString line = QStringLiteral("reload: +backend-wrk, -%1").arg(removed);
        QTRY_VERIFY_WITH_TIMEOUT((err += QString::fromUtf8(serve.readAllStandardError()), err.contains(line)), 10000);

        QVERIFY(load.waitForFinished(30000));
        const QString out = QString::fromUtf8(load.readAllStandardOutput());
        QCOMPARE(load.exitCode(), 0);
        const QRegularExpressionMatch done = QRegularExpression(QStringLiteral("(\\d+) requests in")).match(out);
        QVERIFY2(done.hasMatch(), qPrintable(out));
        QVERIFY2(done.captured(1).toULongLong() > 200, qPrintable(out));
        QVERIFY2(!out.contains(QStringLiteral("Non-2xx")), qPrintable(out));
        QVERIFY2(!out.contains(QStringLiteral("Socket errors")), qPrintable(out));
        const QString why = answeredBy(port, "backend-wrk");
        QVERIFY2(why.isEmpty(), qPrintable(why));
        serve.terminate();
        QVERIFY(serve.waitForFinished(20000));
        QCOMPARE(serve.exitCode(), 0);
    }
};

QTEST_MAIN(TestReload)
#include "tst_reload.moc"
