// Simulated users in scenarios and the keys they move: the traffic step's users profile (its errors and
// what reaches the wire: cookies, the user header, the addresses), the comparison of two user placements
// (KeyMoves), the `moved` expectation's rules on hand-made placements, and a player run on a real lab
// where stopping a backend under sticky sessions moves exactly that backend's users.
#include "TestLab.h"
#include "lab/Lab.h"
#include "loadgen/KeyMoves.h"
#include "loadgen/LoadGenerator.h"
#include "teach/Scenario.h"
#include "teach/ScenarioChecks.h"
#include "teach/ScenarioPlayer.h"

#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace lab;
using namespace lab::test;

namespace {

const QByteArray kLab = R"("lab": {
    "listeners": [{"port": 0}],
    "sticky": {"enabled": true},
    "backends": [{"name": "a", "port": 0, "embedded": true}, {"name": "b", "port": 0, "embedded": true},
                 {"name": "c", "port": 0, "embedded": true}],
    "health": {"intervalMs": 200, "timeoutMs": 150, "rise": 2, "fall": 2},
    "outlierDetection": {"enabled": false}, "circuitBreaker": {"enabled": false}})";

ScenarioResult parse(const QByteArray& steps)
{
    return parseScenario("{" + kLab + ", \"steps\": " + steps + "}", QStringLiteral("hash.json"));
}

// "u1=a u2=b": users and their backends; a trailing "*N" sets the user's answer count (default 1).
UserPlacement placement(const QString& text)
{
    UserPlacement p;
    for (const QString& item : text.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        const QString user = item.section(QLatin1Char('='), 0, 0);
        const QString rest = item.section(QLatin1Char('='), 1);
        p.backendOf.insert(user, rest.section(QLatin1Char('*'), 0, 0));
        p.answers.insert(user, rest.contains(QLatin1Char('*')) ? rest.section(QLatin1Char('*'), 1).toULongLong() : 1);
    }
    return p;
}

// Records, per X-Lab-User (or Who-Am-I) value, the Cookie headers and peer addresses it saw, and answers
// each request with a Set-Cookie naming the user, so a jar that keeps cookies sends it back.
class HeaderRecorder final : public QTcpServer {
public:
    QMap<QByteArray, QList<QByteArray>> cookiesOf;
    QMap<QByteArray, QSet<QString>> addressesOf;
    int requests = 0;

    // The sockets go first: their disconnected handlers use m_buffers, which a member destroys before
    // QObject's destructor deletes the children.
    ~HeaderRecorder() override
    {
        for (QTcpSocket* s : findChildren<QTcpSocket*>()) {
            s->disconnect();
            delete s;
        }
    }

protected:
    void incomingConnection(qintptr fd) override
    {
        auto* s = new QTcpSocket(this);
        s->setSocketDescriptor(fd);
        connect(s, &QTcpSocket::readyRead, s, [this, s] {
            QByteArray& buffer = m_buffers[s];
            buffer += s->readAll();
            qsizetype end;
            while ((end = buffer.indexOf("\r\n\r\n")) >= 0) {
                const QList<QByteArray> lines = buffer.left(end).split('\n');
                buffer.remove(0, end + 4);
                QByteArray user = "-";
                QByteArray cookie;
                for (QByteArray line : lines) {
                    line = line.trimmed();
                    if (line.startsWith("X-Lab-User: ") || line.startsWith("Who-Am-I: "))
                        user = line.mid(line.indexOf(':') + 2);
                    if (line.startsWith("Cookie: "))
                        cookie = line.mid(8);
                }
                ++requests;
                cookiesOf[user] << cookie;
                addressesOf[user].insert(s->peerAddress().toString());
                s->write("HTTP/1.1 200 OK\r\nX-Served-By: recorder\r\nSet-Cookie: seen=" + user +
                         "; Path=/\r\nContent-Length: 2\r\n\r\nok");
            }
        });
        connect(s, &QTcpSocket::disconnected, s, [this, s] {
            m_buffers.remove(s);
            s->deleteLater();
        });
    }

private:
    QHash<QTcpSocket*, QByteArray> m_buffers;
};

} // namespace

class TestHashing : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void usersProfileErrors_data();
    void usersProfileErrors();
    void usersProfileIsRead();
    void movedCheckErrors_data();
    void movedCheckErrors();
    void placementsCompare_data();
    void placementsCompare();
    void movedCheckDecides_data();
    void movedCheckDecides();
    void usersProfileReachesTheWire_data();
    void usersProfileReachesTheWire();
    void stickyStopMovesOnlyItsUsers();
};

void TestHashing::usersProfileErrors_data()
{
    QTest::addColumn<QByteArray>("users");
    QTest::addColumn<QString>("error");
    QTest::newRow("no count") << QByteArray(R"({"thinkMs": 5})")
                              << "hash.json: steps[0].traffic.users.count: is required: how many users, from 2 to 250";
    QTest::newRow("one user") << QByteArray(R"({"count": 1})")
                              << "steps[0].traffic.users.count: must be an integer from 2 to 250 (got 1)";
    QTest::newRow("too many") << QByteArray(R"({"count": 251})")
                              << "steps[0].traffic.users.count: must be an integer from 2 to 250 (got 251)";
    QTest::newRow("cookies not a bool") << QByteArray(R"({"count": 4, "cookies": "yes"})")
                                        << "steps[0].traffic.users.cookies: must be true or false (got \"yes\")";
    QTest::newRow("bad header") << QByteArray(R"({"count": 4, "userHeader": "X_User"})")
                                << "steps[0].traffic.users.userHeader: must be a header name of 1-64 letters";
    QTest::newRow("bad template") << QByteArray(R"({"count": 4, "pathTemplate": "/item/{1..}"})")
                                  << "steps[0].traffic.users.pathTemplate: path template '/item/{1..}': the range";
    QTest::newRow("bad arrival") << QByteArray(R"({"count": 4, "arrival": "waves"})")
                                 << "steps[0].traffic.users.arrival: must be one of constant, poisson, bursts";
    QTest::newRow("think too long") << QByteArray(R"({"count": 4, "thinkMs": 60001})")
                                    << "steps[0].traffic.users.thinkMs: must be an integer from 0 to 60000";
    QTest::newRow("unknown key") << QByteArray(R"({"count": 4, "think": 5})")
                                 << "steps[0].traffic.users.think: unknown key; allowed here: count, cookies";
    QTest::newRow("not an object") << QByteArray("7") << "steps[0].traffic.users: must be an object";
}

void TestHashing::usersProfileErrors()
{
    QFETCH(QByteArray, users);
    QFETCH(QString, error);
    const ScenarioResult r = parse(R"([{"do": "traffic", "title": "t", "traffic": {"users": )" + users + "}}]");
    QVERIFY(!r.ok());
    QVERIFY2(r.error.contains(error), qPrintable(r.error));
}

void TestHashing::usersProfileIsRead()
{
    const ScenarioResult r = parse(R"([{"do": "traffic", "title": "t", "traffic": {"users": {"count": 12,
        "cookies": false, "userHeader": "Who-Am-I", "ownAddresses": false, "pathTemplate": "/item/{1..9}",
        "arrival": "poisson", "burstSize": 3, "thinkMs": 40, "seed": 7}}}])");
    QVERIFY2(r.ok(), qPrintable(r.error));
    const UserSpec& u = r.scenario.steps[0].traffic.users;
    QCOMPARE(u.count, 12);
    QCOMPARE(u.cookies, false);
    QCOMPARE(u.userHeader, QByteArray("Who-Am-I"));
    QCOMPARE(u.ownAddresses, false);
    QCOMPARE(u.pathTemplate, QByteArray("/item/{1..9}"));
    QCOMPARE(u.arrival, ArrivalProcess::Poisson);
    QCOMPARE(u.burstSize, 3);
    QCOMPARE(u.thinkMs, 40);
    QCOMPARE(u.seed, 7u);
    QVERIFY(u.validate().isEmpty());
    QVERIFY2(r.scenario.steps[0].describe().contains(QStringLiteral("12 users without cookies")),
             qPrintable(r.scenario.steps[0].describe()));
    // The defaults: cookies, the X-Lab-User header and an address per user.
    const ScenarioResult d = parse(R"([{"do": "traffic", "title": "t", "traffic": {"users": {"count": 3}}}])");
    QVERIFY2(d.ok(), qPrintable(d.error));
    UserSpec three;
    three.count = 3;
    QCOMPARE(d.scenario.steps[0].traffic.users, three);
}

void TestHashing::movedCheckErrors_data()
{
    QTest::addColumn<QByteArray>("steps");
    QTest::addColumn<QString>("error");
    const QByteArray users = R"({"do": "traffic", "title": "t", "traffic": {"users": {"count": 4}}}, )";
    QTest::newRow("no users traffic")
        << QByteArray(
               R"([{"do": "stop", "title": "s", "backend": "a", "expect": {"windowMs": 10, "moved": {"users": [0, 1]}}}])")
        << "steps[0].expect.moved: needs simulated users: a traffic step with users (count >= 2) before it";
    QTest::newRow("plain traffic has no users")
        << QByteArray(R"([{"do": "traffic", "title": "t", "traffic": {"connections": 4}},
                         {"do": "stop", "title": "s", "backend": "a", "expect": {"windowMs": 10, "moved": {"users": [0, 1]}}}])")
        << "steps[1].expect.moved: needs simulated users";
    QTest::newRow("after stop-traffic") << QByteArray("[" + users + R"({"do": "stop-traffic"},
                         {"do": "stop", "title": "s", "backend": "a", "expect": {"windowMs": 10, "moved": {"users": [0, 1]}}}])")
                                        << "steps[2].expect.moved: needs simulated users";
    QTest::newRow("share above one")
        << QByteArray(
               "[" + users +
               R"({"do": "stop", "title": "s", "backend": "a", "expect": {"windowMs": 10, "moved": {"users": [0, 2]}}}])")
        << "steps[1].expect.moved.users: must be [min, max] with 0 <= min <= max <= 1 (a share of the users)";
    QTest::newRow("unknown backend")
        << QByteArray(
               "[" + users +
               R"({"do": "stop", "title": "s", "backend": "a", "expect": {"windowMs": 10, "moved": {"from": "z"}}}])")
        << "steps[1].expect.moved.from: unknown backend \"z\"; backends at this step: a, b, c";
    QTest::newRow("empty")
        << QByteArray("[" + users +
                      R"({"do": "stop", "title": "s", "backend": "a", "expect": {"windowMs": 10, "moved": {}}}])")
        << "steps[1].expect.moved: give at least one of users";
    QTest::newRow("unknown key")
        << QByteArray(
               "[" + users +
               R"({"do": "stop", "title": "s", "backend": "a", "expect": {"windowMs": 10, "moved": {"keys": 1}}}])")
        << "steps[1].expect.moved.keys: unknown key; allowed here: users, from, to";
}

void TestHashing::movedCheckErrors()
{
    QFETCH(QByteArray, steps);
    QFETCH(QString, error);
    const ScenarioResult r = parse(steps);
    QVERIFY(!r.ok());
    QVERIFY2(r.error.contains(error), qPrintable(r.error));
}

void TestHashing::placementsCompare_data()
{
    QTest::addColumn<QString>("before");
    QTest::addColumn<QString>("after");
    QTest::addColumn<QString>("moved"); // user:from>to, in user number order
    QTest::addColumn<int>("compared");
    QTest::addColumn<int>("waiting");
    QTest::addColumn<int>("fresh");
    QTest::newRow("nobody moved") << "u1=a u2=b"
                                  << "u1=a*3 u2=b*2"
                                  << "" << 2 << 0 << 0;
    QTest::newRow("one moved") << "u1=a u2=b u3=b"
                               << "u1=a*2 u2=c*2 u3=b*2"
                               << "u2:b>c" << 3 << 0 << 0;
    // u3 has not answered since: its old backend says nothing about the new mapping.
    QTest::newRow("waiting is not stayed") << "u1=b u3=b"
                                           << "u1=a*2 u3=b"
                                           << "u1:b>a" << 1 << 1 << 0;
    QTest::newRow("new users are fresh") << "u1=a"
                                         << "u1=a*2 u2=b"
                                         << "" << 1 << 0 << 1;
    QTest::newRow("number order") << "u10=a u2=a u1=a"
                                  << "u10=b*2 u2=b*2 u1=a*2"
                                  << "u2:a>b u10:a>b" << 3 << 0 << 0;
    QTest::newRow("nothing before") << ""
                                    << "u1=a u2=b"
                                    << "" << 0 << 0 << 2;
}

void TestHashing::placementsCompare()
{
    QFETCH(QString, before);
    QFETCH(QString, after);
    QFETCH(QString, moved);
    QFETCH(int, compared);
    QFETCH(int, waiting);
    QFETCH(int, fresh);
    const KeyMoves m = compareUsers(placement(before), placement(after));
    QStringList got;
    for (const KeyMoves::Move& x : m.moved)
        got << QStringLiteral("%1:%2>%3").arg(x.user, x.from, x.to);
    QCOMPARE(got.join(QLatin1Char(' ')), moved);
    QCOMPARE(m.compared, compared);
    QCOMPARE(m.waiting, waiting);
    QCOMPARE(m.fresh, fresh);
    QCOMPARE(m.stayed(), compared - int(m.moved.size()));
}

void TestHashing::movedCheckDecides_data()
{
    QTest::addColumn<QByteArray>("moved");
    QTest::addColumn<QString>("before");
    QTest::addColumn<QString>("after");
    QTest::addColumn<bool>("held");
    QTest::addColumn<QString>("observed");
    const QString before = QStringLiteral("u1=a u2=b u3=b u4=c");
    QTest::newRow("only b's users moved")
        << QByteArray(R"({"users": [0.4, 0.6], "from": "b"})") << before << "u1=a*2 u2=a*2 u3=c*2 u4=c*2" << true
        << "0.50 (2 of 4 users moved: 2 from b); of b's 2 users 0 stayed, 0 users of other backends moved";
    QTest::newRow("a user of another backend moved too")
        << QByteArray(R"({"from": "b"})") << before << "u1=c*2 u2=a*2 u3=c*2 u4=c*2" << false
        << "0.75 (3 of 4 users moved: 1 from a, 2 from b); of b's 2 users 0 stayed, 1 users of other backends moved";
    QTest::newRow("a user of b stayed") << QByteArray(R"({"from": "b"})") << before << "u1=a*2 u2=a*2 u3=b*2 u4=c*2"
                                        << false << "of b's 2 users 1 stayed";
    QTest::newRow("all to the new one") << QByteArray(R"({"users": [0, 0.5], "to": "d"})") << before
                                        << "u1=d*2 u2=b*2 u3=b*2 u4=c*2" << true
                                        << "0.25 (1 of 4 users moved: 1 from a); 1 moved to d, 0 elsewhere";
    QTest::newRow("one went elsewhere") << QByteArray(R"({"to": "d"})") << before << "u1=d*2 u2=c*2 u3=b*2 u4=c*2"
                                        << false << "1 moved to d, 1 elsewhere";
    QTest::newRow("too many moved") << QByteArray(R"({"users": [0, 0.3]})") << before << "u1=b*2 u2=a*2 u3=b*2 u4=c*2"
                                    << false << "0.50 (2 of 4";
    QTest::newRow("nobody moved, none expected")
        << QByteArray(R"({"users": [0, 0]})") << before << "u1=a*2 u2=b*2 u3=b*2 u4=c" << true
        << "0.00 (0 of 3 users moved); 1 not answered since";
    QTest::newRow("nobody answered") << QByteArray(R"({"users": [0, 1]})") << before << before << false
                                     << "no user answered both before the action and in the window";
    QTest::newRow("no users before") << QByteArray(R"({"users": [0, 1]})") << QString() << "u1=a" << false
                                     << "no simulated user had an answer before the action";
}

void TestHashing::movedCheckDecides()
{
    QFETCH(QByteArray, moved);
    QFETCH(QString, before);
    QFETCH(QString, after);
    QFETCH(bool, held);
    QFETCH(QString, observed);
    const ScenarioResult r = parse(R"([{"do": "traffic", "title": "t", "traffic": {"users": {"count": 4}}},
                  {"do": "add", "as": "d", "title": "x", "expect": {"windowMs": 10, "moved": )" +
                                   moved + "}}]");
    QVERIFY2(r.ok(), qPrintable(r.error));
    const ScenarioCheck& c = r.scenario.steps[1].checks.first();
    QCOMPARE(c.kind, ScenarioCheck::Kind::Moved);
    WindowObservation w;
    w.usersBefore = placement(before);
    w.usersAfter = placement(after);
    const CheckOutcome o = evaluateCheck(c, w);
    QVERIFY2(o.observed.contains(observed), qPrintable(o.observed));
    QCOMPARE(o.held, held);
}

void TestHashing::usersProfileReachesTheWire_data()
{
    QTest::addColumn<bool>("cookies");
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<bool>("ownAddresses");
    QTest::newRow("defaults") << true << QByteArray("X-Lab-User") << true;
    QTest::newRow("no cookies, own header, one address") << false << QByteArray("Who-Am-I") << false;
}

void TestHashing::usersProfileReachesTheWire()
{
    QFETCH(bool, cookies);
    QFETCH(QByteArray, header);
    QFETCH(bool, ownAddresses);
    HeaderRecorder server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    LoadGenerator gen;
    LoadSpec spec;
    spec.port = server.serverPort();
    spec.durationMs = 5000;
    spec.maxRequests = 40;
    spec.users.count = 4;
    spec.users.cookies = cookies;
    spec.users.userHeader = header;
    spec.users.ownAddresses = ownAddresses;
    spec.users.pathTemplate = "/item/{1..5}";
    QString error;
    QVERIFY2(gen.start(spec, &error), qPrintable(error));
    QVERIFY(waitFinished(gen, 10'000));
    QCOMPARE(server.requests, 40);
    QCOMPARE(server.cookiesOf.size(), 4); // every user named itself in the header it was given
    for (auto it = server.cookiesOf.cbegin(); it != server.cookiesOf.cend(); ++it) {
        const QByteArray& user = it.key();
        QVERIFY2(user.startsWith('u'), user.constData());
        // The first request has no cookie; later ones carry the one set for this user, or none at all.
        QVERIFY(it->first().isEmpty());
        for (qsizetype i = 1; i < it->size(); ++i)
            QCOMPARE(it->at(i), cookies ? QByteArray("seen=" + user) : QByteArray());
        const QSet<QString> addresses = server.addressesOf.value(user);
        QCOMPARE(addresses.size(), 1);
        const QString expected =
            ownAddresses ? userAddress(user.mid(1).toInt() - 1).toString() : QStringLiteral("127.0.0.1");
        QCOMPARE(*addresses.cbegin(), expected);
    }
    // The paths' latest backends and answers (a "path" hash key's keys): only the template's, all counted.
    const LoadTotals totals = gen.totals();
    quint64 answers = 0;
    for (auto it = totals.answersOfPath.cbegin(); it != totals.answersOfPath.cend(); ++it) {
        QVERIFY2(QRegularExpression(QStringLiteral("^/item/[1-5]$")).match(it.key()).hasMatch(), qPrintable(it.key()));
        QCOMPARE(totals.lastBackendOfPath.value(it.key()), QStringLiteral("recorder"));
        answers += it.value();
    }
    QCOMPARE(answers, totals.completed);
    QVERIFY(totals.answersOfPath.size() >= 2);
}

void TestHashing::stickyStopMovesOnlyItsUsers()
{
    // Sticky sessions over round robin, 12 users: stopping b moves exactly b's users. A second check that
    // names the wrong backend must fail, so the first one is not true of anything.
    ScenarioResult r = parse(R"([
        {"do": "traffic", "title": "t", "traffic": {"users": {"count": 12, "thinkMs": 30}},
         "expect": {"windowMs": 800, "requests": [20, null]}},
        {"do": "stop", "title": "s", "backend": "b",
         "expect": {"windowMs": 1500, "moved": {"users": [0.1, 0.7], "from": "b"}}},
        {"do": "start", "title": "s", "backend": "b",
         "expect": {"windowMs": 1000, "moved": {"from": "a"}}}])");
    QVERIFY2(r.ok(), qPrintable(r.error));
    r.scenario.useAnyPorts();
    Lab lab(r.scenario.lab);
    ScenarioPlayer player(&lab, r.scenario);
    QSignalSpy finished(&player, &ScenarioPlayer::finished);
    QVERIFY(player.play());
    QVERIFY(finished.wait(20'000));
    const ScenarioPlayer::CheckRecord& stop = player.records()[1].checks[0];
    QVERIFY2(stop.evaluated && stop.held, qPrintable(stop.observed));
    QVERIFY2(stop.observed.contains(QStringLiteral("0 users of other backends moved")), qPrintable(stop.observed));
    // Starting b again moves nobody: "only a's users moved" has no user of a that moved.
    const ScenarioPlayer::CheckRecord& start = player.records()[2].checks[0];
    QVERIFY(start.evaluated);
    QVERIFY2(!start.held, qPrintable(start.observed));
    QVERIFY2(start.observed.startsWith(QStringLiteral("0.00 (0 of 12 users moved)")), qPrintable(start.observed));
    QCOMPARE(finished.first().first().toBool(), false);
}

QTEST_GUILESS_MAIN(TestHashing)
#include "tst_hashing.moc"
