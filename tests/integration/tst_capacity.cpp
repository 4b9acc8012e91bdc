// The fake backends' capacity model (workers, queue, service time) and the honesty of the latency the
// proxy reports: percentiles read from its histograms against what a client measures.
#include "TestHttp.h"
#include "TestLab.h"
#include "backend/Backend.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"
#include "proxy/Proxy.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>

using namespace lab;
using namespace lab::test;

namespace {

// One asynchronous keep-alive client on the test thread: sends `count` requests one after another and
// records, per answer, its status, X-Served-By, body and the latency from write to the last byte.
// Responses are read by Content-Length (the fake backends and the proxy always send one).
class TimedClient final : public QObject {
public:
    struct Answer {
        int status = 0;
        QByteArray servedBy;
        QByteArray serviceMs; // X-Lab-Service-Ms: the service time the backend measured
        QByteArray body;
        double ms = 0;
    };

    TimedClient(quint16 port, QByteArray request, int count)
        : m_request(std::move(request))
        , m_left(count)
    {
        connect(&m_socket, &QTcpSocket::connected, this, &TimedClient::sendNext);
        connect(&m_socket, &QTcpSocket::readyRead, this, &TimedClient::read);
        m_socket.connectToHost(QHostAddress::LocalHost, port);
    }
    bool done() const { return m_left == 0 && !m_inFlight; }
    const QList<Answer>& answers() const { return m_answers; }
    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    // For a test that wants every request to go out at the same moment: connect first, then fire.
    void holdUntilFired() { m_held = true; }
    void fire()
    {
        m_held = false;
        sendNext();
    }

private:
    void sendNext()
    {
        if (m_held || m_inFlight || m_left == 0 || !isConnected())
            return;
        m_inFlight = true;
        --m_left;
        m_buffer.clear();
        m_timer.start();
        m_socket.write(m_request);
        m_socket.flush();
    }

    void read()
    {
        m_buffer += m_socket.readAll();
        const qsizetype headEnd = m_buffer.indexOf("\r\n\r\n");
        if (headEnd < 0)
            return;
        const QByteArray head = m_buffer.left(headEnd);
        qsizetype length = 0;
        QByteArray servedBy;
        QByteArray serviceMs;
        for (const QByteArray& line : head.split('\n')) {
            const QByteArray l = line.trimmed();
            if (l.toLower().startsWith("content-length:"))
                length = l.mid(15).trimmed().toLongLong();
            if (l.toLower().startsWith("x-served-by:"))
                servedBy = l.mid(12).trimmed();
            if (l.toLower().startsWith("x-lab-service-ms:"))
                serviceMs = l.mid(17).trimmed();
        }
        if (m_buffer.size() < headEnd + 4 + length)
            return;
        Answer a;
        a.ms = double(m_timer.nsecsElapsed()) / 1e6;
        a.status = head.mid(9, 3).toInt();
        a.servedBy = servedBy;
        a.serviceMs = serviceMs;
        a.body = m_buffer.mid(headEnd + 4, length);
        m_answers << a;
        m_inFlight = false;
        sendNext();
    }

    QTcpSocket m_socket;
    QByteArray m_request;
    QByteArray m_buffer;
    QElapsedTimer m_timer;
    QList<Answer> m_answers;
    int m_left;
    bool m_inFlight = false;
    bool m_held = false;
};

QByteArray get(const QByteArray& path, const QByteArray& extra = {})
{
    return "GET " + path + " HTTP/1.1\r\nHost: lab\r\n" + extra + "\r\n";
}

// Runs `clients` connections of `perClient` requests each against the port until all are answered.
QList<TimedClient::Answer> run(quint16 port, int clients, int perClient, const QByteArray& request, int timeoutMs)
{
    std::vector<std::unique_ptr<TimedClient>> all;
    for (int i = 0; i < clients; ++i)
        all.push_back(std::make_unique<TimedClient>(port, request, perClient));
    // An event loop rather than QTest::qWait, which sleeps up to 10 ms between event batches: answers
    // must be timed when they arrive, not when the test next looks.
    auto allDone = [&] {
        return std::all_of(all.begin(), all.end(), [](const auto& c) { return c->done(); });
    };
    QEventLoop loop;
    QTimer check;
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (allDone())
            loop.quit();
    });
    check.start(1);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    QList<TimedClient::Answer> out;
    for (const auto& c : all)
        out << c->answers();
    return out;
}

double averageMs(const QList<TimedClient::Answer>& answers)
{
    double sum = 0;
    for (const auto& a : answers)
        sum += a.ms;
    return answers.isEmpty() ? 0 : sum / double(answers.size());
}

// The p-th percentile of the client's own measurements (nearest rank).
double percentile(QList<double> v, double p)
{
    std::sort(v.begin(), v.end());
    const qsizetype rank = std::clamp<qsizetype>(qsizetype(std::ceil(p / 100.0 * double(v.size()))), 1, v.size());
    return v[rank - 1];
}

} // namespace

class TestCapacity : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void cleanup();
    void oneWorkerTwoWaitingOneRefused();
    void serviceTimeMeanMatches_data();
    void serviceTimeMeanMatches();
    void costHeaderSetsTheServiceTime();
    void badCostHeaderIsRefused();
    void moreWorkersServeTheWaitingAtOnce();
    void aClientGoneWhileWaitingFreesItsPlace();
    void proxyPercentilesMatchTheClient_data();
    void proxyPercentilesMatchTheClient();

private:
    std::unique_ptr<FakeBackend> m_backend;
    quint16 port() const { return m_backend->port(); }
};

void TestCapacity::init()
{
    m_backend = std::make_unique<FakeBackend>(QStringLiteral("alpha"), QHostAddress::LocalHost, 0);
    QString error;
    QVERIFY2(m_backend->start(&error), qPrintable(error));
}

void TestCapacity::cleanup()
{
    m_backend.reset();
}

void TestCapacity::oneWorkerTwoWaitingOneRefused()
{
    FaultProfile f;
    f.workers = 1;
    f.queue = 2;
    f.serviceMs = 200;
    m_backend->setFaults(f);
    std::vector<std::unique_ptr<TimedClient>> clients;
    for (int i = 0; i < 4; ++i) {
        clients.push_back(std::make_unique<TimedClient>(port(), get("/work"), 1));
        clients.back()->holdUntilFired();
    }
    QTRY_VERIFY(std::all_of(clients.begin(), clients.end(), [](const auto& c) { return c->isConnected(); }));
    for (auto& c : clients)
        c->fire();
    // While the first is served, two wait and the board's counters say so.
    QTRY_COMPARE(m_backend->counters().queued.load(), 2);
    QCOMPARE(m_backend->counters().inService.load(), 1);
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(clients.begin(), clients.end(), [](const auto& c) { return c->done(); }),
                             5000);
    QList<TimedClient::Answer> answers;
    for (const auto& c : clients)
        answers << c->answers();
    std::sort(answers.begin(), answers.end(), [](const auto& a, const auto& b) { return a.ms < b.ms; });
    QCOMPARE(answers.size(), 4);
    // Refused at once, then served one after another: FIFO behind a single worker.
    QCOMPARE(answers[0].status, 503);
    QVERIFY2(answers[0].ms < 100, qPrintable(QString::number(answers[0].ms)));
    const QJsonObject full = QJsonDocument::fromJson(answers[0].body).object();
    QCOMPARE(full.value(QStringLiteral("error")).toString(), QStringLiteral("queue full"));
    QCOMPARE(full.value(QStringLiteral("server_id")).toString(), QStringLiteral("alpha"));
    QCOMPARE(full.value(QStringLiteral("workers")).toInt(), 1);
    QCOMPARE(full.value(QStringLiteral("queue")).toInt(), 2);
    const double expected[] = {200, 400, 600};
    for (int i = 1; i <= 3; ++i) {
        QCOMPARE(answers[i].status, 200);
        QVERIFY2(answers[i].ms >= expected[i - 1] - 1 && answers[i].ms < expected[i - 1] + 150,
                 qPrintable(QStringLiteral("answer %1 took %2 ms").arg(i).arg(answers[i].ms)));
    }
    QCOMPARE(m_backend->counters().queueFull.load(), quint64(1));
    QCOMPARE(m_backend->counters().queued.load(), 0);
    QCOMPARE(m_backend->counters().inService.load(), 0);
}

void TestCapacity::serviceTimeMeanMatches_data()
{
    QTest::addColumn<QString>("dist");
    QTest::addColumn<int>("meanMs");
    QTest::addColumn<double>("minTailRatio"); // p99 / p50 of the service times the answers report
    QTest::addColumn<double>("maxTailRatio");
    // exp: p99/p50 = ln(100)/ln(2) = 6.6; lognormal sigma 0.5: e^(2.326 * 0.5) = 3.2; fixed: 1.
    QTest::newRow("exp 15 ms") << QStringLiteral("exp") << 15 << 4.5 << 9.0;
    QTest::newRow("lognormal 15 ms") << QStringLiteral("lognormal") << 15 << 2.4 << 4.2;
    QTest::newRow("fixed 15 ms") << QStringLiteral("fixed") << 15 << 1.0 << 1.0;
}

void TestCapacity::serviceTimeMeanMatches()
{
    QFETCH(QString, dist);
    QFETCH(int, meanMs);
    QFETCH(double, minTailRatio);
    QFETCH(double, maxTailRatio);
    FaultProfile f;
    f.serviceMs = meanMs;
    f.serviceDist = dist;
    f.workers = 100; // more than the 20 connections: nobody waits, the latency is the service time
    m_backend->setFaults(f);
    const QList<TimedClient::Answer> answers = run(port(), 20, 100, get("/s"), 60'000);
    QCOMPARE(answers.size(), 2000);
    QList<double> served;
    for (const auto& a : answers) {
        QCOMPARE(a.status, 200);
        served << a.serviceMs.toDouble();
    }
    // The same load without service time: what the path itself costs now, which the client sees on top.
    const QList<TimedClient::Answer> bare = run(port(), 20, 25, get("/s", "X-Lab-Cost-Ms: 0\r\n"), 30'000);
    QCOMPARE(bare.size(), 500);
    const double mean = averageMs(answers);
    const double roundTrip = averageMs(bare);
    const double servedMean = std::accumulate(served.begin(), served.end(), 0.0) / double(served.size());
    const double ratio = percentile(served, 99) / percentile(served, 50);
    // The backend's own sum of the service times it gave agrees with the answers' headers.
    const FakeBackendCounters& counters = m_backend->counters();
    QCOMPARE(counters.serviced.load(), quint64(2500)); // the bare requests got a worker too, for 0 ms
    const double summedMean = double(counters.serviceMicros.load()) / 1000.0 / 2000.0;
    qInfo("%s: client mean %.3f ms (round trip %.3f ms), service mean %.3f ms (counters %.3f), p99/p50 %.2f",
          qPrintable(dist), mean, roundTrip, servedMean, summedMean, ratio);
    QVERIFY2(std::abs(servedMean - meanMs) <= 0.1 * meanMs,
             qPrintable(QStringLiteral("service %1 ms").arg(servedMean)));
    QVERIFY2(std::abs(summedMean - servedMean) < 0.01, qPrintable(QString::number(summedMean)));
    // What the client sees: the service time, plus what the path costs on this machine now.
    QVERIFY2(mean >= 0.9 * meanMs && mean <= 1.1 * meanMs + roundTrip,
             qPrintable(QStringLiteral("mean %1 ms, round trip %2 ms").arg(mean).arg(roundTrip)));
    QVERIFY2(ratio >= minTailRatio && ratio <= maxTailRatio, qPrintable(QStringLiteral("p99/p50 %1").arg(ratio)));
}

void TestCapacity::costHeaderSetsTheServiceTime()
{
    FaultProfile f;
    f.workers = 1;
    f.queue = 1;
    m_backend->setFaults(f); // no service time of its own: only the header's
    QElapsedTimer t;
    t.start();
    const auto r = httpGet(port(), "/cost", "X-Lab-Cost-Ms: 150\r\n");
    QVERIFY(r);
    QCOMPARE(r->status(), 200);
    QVERIFY2(t.elapsed() >= 150 && t.elapsed() < 400, qPrintable(QString::number(t.elapsed())));
    t.restart();
    QCOMPARE(httpGet(port(), "/free")->status(), 200);
    QVERIFY2(t.elapsed() < 100, qPrintable(QString::number(t.elapsed())));
}

void TestCapacity::badCostHeaderIsRefused()
{
    const auto r = httpGet(port(), "/cost", "X-Lab-Cost-Ms: soon\r\n");
    QVERIFY(r);
    QCOMPARE(r->status(), 400);
    const QString error = r->json().value(QStringLiteral("error")).toString();
    QVERIFY2(error.contains(QStringLiteral("X-Lab-Cost-Ms must be an integer number of ms from 0 to 600000")) &&
                 error.contains(QStringLiteral("soon")),
             qPrintable(error));
    QCOMPARE(httpGet(port(), "/cost", "X-Lab-Cost-Ms: 700000\r\n")->status(), 400);
}

void TestCapacity::moreWorkersServeTheWaitingAtOnce()
{
    FaultProfile f;
    f.workers = 1;
    f.queue = 10;
    f.serviceMs = 400;
    m_backend->setFaults(f);
    std::vector<std::unique_ptr<TimedClient>> clients;
    for (int i = 0; i < 3; ++i)
        clients.push_back(std::make_unique<TimedClient>(port(), get("/w"), 1));
    QTRY_COMPARE(m_backend->counters().queued.load(), 2);
    f.workers = 3;
    m_backend->setFaults(f); // the two waiting ones start now, not one after the other
    QTRY_COMPARE(m_backend->counters().inService.load(), 3);
    QCOMPARE(m_backend->counters().queued.load(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(std::all_of(clients.begin(), clients.end(), [](const auto& c) { return c->done(); }),
                             5000);
    double slowest = 0;
    for (const auto& c : clients)
        slowest = std::max(slowest, c->answers().value(0).ms);
    QVERIFY2(slowest < 800 + 150, qPrintable(QString::number(slowest))); // one worker alone would take 1200
}

void TestCapacity::aClientGoneWhileWaitingFreesItsPlace()
{
    FaultProfile f;
    f.workers = 1;
    f.queue = 1;
    f.serviceMs = 300;
    m_backend->setFaults(f);
    TimedClient first(port(), get("/a"), 1);
    QTRY_COMPARE(m_backend->counters().inService.load(), 1);
    {
        TestHttpConnection leaving;
        QVERIFY(leaving.connectTo(port()));
        QVERIFY(leaving.send(getRequest("/b")));
        QTRY_COMPARE(m_backend->counters().queued.load(), 1);
    } // closes while waiting
    QTRY_COMPARE(m_backend->counters().queued.load(), 0);
    TimedClient next(port(), get("/c"), 1); // takes the freed place instead of 503
    QTRY_VERIFY_WITH_TIMEOUT(first.done() && next.done(), 3000);
    QCOMPARE(next.answers().value(0).status, 200);
}

void TestCapacity::proxyPercentilesMatchTheClient_data()
{
    QTest::addColumn<int>("serviceMs");
    QTest::newRow("fixed 100 ms") << 100;
    QTest::newRow("fixed 200 ms") << 200;
}

void TestCapacity::proxyPercentilesMatchTheClient()
{
    QFETCH(int, serviceMs);
    LabConfig c = freePortLab();
    c.backends.resize(1);
    c.backends[0].faults.serviceMs = serviceMs;
    c.health.enabled = false; // only the clients' requests reach the histograms
    RunningLab r(c);
    // Sequential requests on one connection, as curl in a loop would send them.
    auto percentilesOf = [&](const QByteArray& request, int count) {
        const QList<TimedClient::Answer> answers = run(r.port(), 1, count, request, 30'000);
        QList<double> ms;
        for (const auto& a : answers) {
            if (a.status == 200)
                ms << a.ms;
        }
        return ms;
    };
    const QList<double> client = percentilesOf(get("/p"), 20);
    QCOMPARE(client.size(), 20);
    const MetricsSnapshot snap = r.lab.snapshot();
    QCOMPARE(snap.backends.size(), 1);
    // What the path itself costs right now (client and proxy threads waking on a loaded machine), with a
    // request that takes no service time: the proxy cannot see that part, so it is allowed on top of 2%.
    const QList<double> roundTrip = percentilesOf(get("/p", "X-Lab-Cost-Ms: 0\r\n"), 20);
    QCOMPARE(roundTrip.size(), 20);
    for (const double p : {50.0, 99.0}) {
        const double measured = percentile(client, p);
        const double allowed = 0.02 * measured + percentile(roundTrip, p);
        const double listener = snap.listener.latency.percentileMs(p); // request head in to last byte out
        const double backend = snap.backends[0].traffic.latency.percentileMs(p); // the attempt on the backend
        qInfo("p%.0f: client %.3f ms (round trip %.3f ms), proxy listener %.3f ms, backend %.3f ms", p, measured,
              percentile(roundTrip, p), listener, backend);
        // The proxy must never read higher than the client by more than that (the old histogram's bucket
        // edge read 229 ms for 200). Lower it may read by what the client alone added: with 20 samples the
        // client's p99 is its slowest request, and one late wake-up of the client thread (seen under the
        // sanitizers: 208 ms against the proxy's 201) is time the proxy never saw.
        const double clientOnly = p > 50 ? percentile(client, p) - percentile(client, 50) : 0.0;
        QVERIFY2(listener - measured <= allowed && measured - listener <= allowed + clientOnly,
                 qPrintable(QStringLiteral("p%1: proxy %2 ms, client %3 ms").arg(p).arg(listener).arg(measured)));
        QVERIFY2(backend - measured <= allowed && measured - backend <= allowed + clientOnly,
                 qPrintable(QStringLiteral("p%1: backend %2 ms, client %3 ms").arg(p).arg(backend).arg(measured)));
        QVERIFY2(backend >= serviceMs && listener >= backend - 0.01, qPrintable(QString::number(backend)));
    }
}

QTEST_GUILESS_MAIN(TestCapacity)
#include "tst_capacity.moc"
