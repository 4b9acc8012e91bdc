// The hash algorithms' tables and the pool's pick path: tables are built when membership or weights
// change (Balancer::rebuild, outside the pool's lock) and published whole; a pick only reads them, and
// its explanation is formatted after the lock. No sockets: the pool's backends are never connected to.
#include "BackendSet.h"
#include "backend/BackendPool.h"
#include "balancing/Balancer.h"
#include "balancing/Maglev.h"
#include "balancing/Registry.h"

#include <QTest>
#include <algorithm>
#include <atomic>
#include <thread>

using namespace lab;

namespace {
using Set = lab::test::BackendSet;
using lab::test::keyed;
using lab::test::pathKey;

QList<BackendConfig> poolConfigs(std::initializer_list<const char*> names)
{
    QList<BackendConfig> out;
    int port = 9101;
    for (const char* n : names) {
        BackendConfig c;
        c.name = QString::fromLatin1(n);
        c.port = port++;
        out << c;
    }
    return out;
}

// Which backend each of `keys` path keys goes to through the pool.
std::vector<QString> poolPicks(BackendPool& pool, int keys)
{
    std::vector<QString> out;
    for (int k = 0; k < keys; ++k) {
        AttemptTicket t = pool.pick(keyed("/key/" + QByteArray::number(k)), {});
        out.push_back(t ? t->name : QString());
    }
    return out;
}

double shareOf(const std::vector<QString>& picks, const QString& name)
{
    return double(std::count(picks.begin(), picks.end(), name)) / double(picks.size());
}
} // namespace

class TestBalancerTables : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void picksDoNotBuildTables_data();
    void picksDoNotBuildTables();
    void poolBuildsOnChangesOnly_data();
    void poolBuildsOnChangesOnly();
    void weightChangeSwapsTheTable();
    void poolExplainsAfterThePick();
    void poolGivesARetryTheRotation();
    void picksRunWhileTablesRebuild();
};

void TestBalancerTables::picksDoNotBuildTables_data()
{
    QTest::addColumn<QString>("algorithm");
    QTest::newRow("ring-hash") << "ring-hash";
    QTest::newRow("maglev") << "maglev";
}

// pick() only reads the published table: one build per change, none per pick, whatever the eligible
// set does. A weight written behind the pool's back is noticed and asked for, not built.
void TestBalancerTables::picksDoNotBuildTables()
{
    QFETCH(QString, algorithm);
    auto bal = makeBalancer(algorithm, pathKey());
    Set s({1, 2, 3}, QStringLiteral("n-"));
    // Before any build: a key still gets a backend (hash mod n), and the pick asks for a table.
    const QString early = bal->pick(s.span(), keyed("/early"))->name;
    QCOMPARE(bal->pick(s.span(), keyed("/early"))->name, early);
    QVERIFY(bal->takeRebuildRequest());
    QCOMPARE(bal->tableBuilds(), quint64(0));

    bal->rebuild(s.span());
    QCOMPARE(bal->tableBuilds(), quint64(1));
    const std::vector<Backend*> two = s.without(1);
    for (int k = 0; k < 10'000; ++k) {
        const bool fewer = k % 3 == 0; // a backend leaving and returning needs no new table
        const auto eligible = fewer ? std::span<Backend* const>(two.data(), two.size()) : s.span();
        QVERIFY(bal->pick(eligible, keyed("/k/" + QByteArray::number(k))));
    }
    QCOMPARE(bal->tableBuilds(), quint64(1));
    QVERIFY(!bal->takeRebuildRequest());

    s.all[0]->weight = 5;
    QVERIFY(bal->pick(s.span(), keyed("/after")));
    QCOMPARE(bal->tableBuilds(), quint64(1)); // the pick used the old table...
    QVERIFY(bal->takeRebuildRequest()); // ...and asked, once
    QVERIFY(!bal->takeRebuildRequest());
}

void TestBalancerTables::poolBuildsOnChangesOnly_data()
{
    QTest::addColumn<QString>("algorithm");
    QTest::addColumn<int>("buildsPerChange");
    QTest::newRow("ring-hash") << "ring-hash" << 1;
    QTest::newRow("maglev") << "maglev" << 1;
    QTest::newRow("round-robin (no table)") << "round-robin" << 0;
}

// Through the pool: the table is built before an algorithm takes over, once per add, remove and weight
// change, and never by picks; a backend that drains and returns gets exactly its keys back.
void TestBalancerTables::poolBuildsOnChangesOnly()
{
    QFETCH(QString, algorithm);
    QFETCH(int, buildsPerChange);
    const quint64 per = quint64(buildsPerChange);
    BackendPool pool(poolConfigs({"a", "b", "c"}), QStringLiteral("random"));
    QVERIFY(pool.setAlgorithm(algorithm, pathKey()));
    QCOMPARE(pool.tableBuilds(), per);
    const std::vector<QString> before = poolPicks(pool, 3000);
    QCOMPARE(pool.tableBuilds(), per);

    BackendPtr c = pool.byName(QStringLiteral("c"));
    c->enabled = false; // draining: an eligibility change, no rebuild
    const std::vector<QString> drained = poolPicks(pool, 3000);
    QCOMPARE(shareOf(drained, QStringLiteral("c")), 0.0);
    c->enabled = true;
    const std::vector<QString> back = poolPicks(pool, 3000);
    QCOMPARE(pool.tableBuilds(), per);
    if (buildsPerChange) {
        for (size_t k = 0; k < before.size(); ++k) {
            if (before[k] != QLatin1String("c"))
                QCOMPARE(drained[k], before[k]); // only c's keys moved
            QCOMPARE(back[k], before[k]); // and all came back
        }
    }

    pool.setWeight(*pool.byName(QStringLiteral("a")), 4);
    QCOMPARE(pool.tableBuilds(), 2 * per);
    pool.setWeight(*pool.byName(QStringLiteral("a")), 4); // no change, no build
    QCOMPARE(pool.tableBuilds(), 2 * per);
    BackendConfig d;
    d.name = QStringLiteral("d");
    d.port = 9201;
    QVERIFY(pool.add(d));
    QCOMPARE(pool.tableBuilds(), 3 * per);
    QVERIFY(pool.remove(QStringLiteral("b")));
    QCOMPARE(pool.tableBuilds(), 4 * per);
    const std::vector<QString> after = poolPicks(pool, 3000);
    QCOMPARE(shareOf(after, QStringLiteral("b")), 0.0);
    QVERIFY(shareOf(after, QStringLiteral("d")) > 0.05);
    QCOMPARE(pool.tableBuilds(), 4 * per);
}

void TestBalancerTables::weightChangeSwapsTheTable()
{
    // The algorithm alone: a rebuild for new weights publishes a new table that the next pick reads.
    Set w({1, 1}, QStringLiteral("w-"));
    Maglev m{pathKey()};
    m.rebuild(w.span());
    const std::vector<int> even = m.slotCounts();
    QVERIFY(qAbs(double(even[0]) / Maglev::kTableSize - 0.5) < 0.01);
    w.all[0]->weight = 3;
    m.rebuild(w.span());
    QCOMPARE(m.tableBuilds(), quint64(2));
    const std::vector<int> heavy = m.slotCounts();
    QVERIFY(qAbs(double(heavy[0]) / Maglev::kTableSize - 0.75) < 0.01);

    // Through the pool, for both table algorithms: setWeight swaps the table and the next picks follow.
    for (const char* algorithm : {"maglev", "ring-hash"}) {
        BackendPool pool(poolConfigs({"a", "b"}), QString::fromLatin1(algorithm));
        QVERIFY(pool.setAlgorithm(QString::fromLatin1(algorithm), pathKey()));
        const double evenShare = shareOf(poolPicks(pool, 20'000), QStringLiteral("a"));
        QVERIFY2(qAbs(evenShare - 0.5) < 0.06,
                 qPrintable(QStringLiteral("%1: %2").arg(QLatin1String(algorithm)).arg(evenShare)));
        const quint64 builds = pool.tableBuilds();
        pool.setWeight(*pool.byName(QStringLiteral("a")), 3);
        QCOMPARE(pool.tableBuilds(), builds + 1);
        const double heavyShare = shareOf(poolPicks(pool, 20'000), QStringLiteral("a"));
        QVERIFY2(qAbs(heavyShare - 0.75) < 0.06,
                 qPrintable(QStringLiteral("%1: %2").arg(QLatin1String(algorithm)).arg(heavyShare)));
    }
}

// The pool asks the algorithm for numbers under its lock and hands back the sentence after it: the
// same sentences as an algorithm called alone.
// A retry under HAProxy's rule (PickContext::avoidedKeepTheirTurn): the pool hands the balancer the
// rotation without the rule, the avoided backend in its place and a drained one not, so round robin uses
// the avoided turn up (turn 2 of 3 is b's). Under nginx's rule the tried backend is out of the pick and the
// turn counts over the backends left.
void TestBalancerTables::poolGivesARetryTheRotation()
{
    for (const bool haproxysRule : {true, false}) {
        BackendPool pool(poolConfigs({"a", "b", "c", "d"}), QStringLiteral("round-robin"));
        pool.byName(QStringLiteral("d"))->enabled = false;
        const int avoidB[] = {pool.byName(QStringLiteral("b"))->id};
        QString why;
        PickContext retry;
        retry.avoidedKeepTheirTurn = haproxysRule;
        retry.explanation = &why;
        QString seen = pool.pick(PickContext{}, {})->name;
        seen += pool.pick(retry, avoidB)->name;
        if (haproxysRule)
            QCOMPARE(why,
                     QStringLiteral("round robin: turn 2 of 3 → b, which this retry avoids: the turn is used up; "
                                    "turn 3 of 3 → c"));
        else
            QCOMPARE(why,
                     QStringLiteral("round robin: turn 2 of 2 among the backends not tried yet (1 already tried by "
                                    "this request is left out) → c"));
        for (int i = 0; i < 3; ++i)
            seen += pool.pick(PickContext{}, {})->name;
        QCOMPARE(seen, haproxysRule ? QStringLiteral("acabc") : QStringLiteral("accab"));
    }
}

void TestBalancerTables::poolExplainsAfterThePick()
{
    BackendPool pool(poolConfigs({"a", "b", "c"}), QStringLiteral("round-robin"));
    QString why;
    PickContext c;
    c.explanation = &why;
    QCOMPARE(pool.pick(c, {})->name, QStringLiteral("a"));
    QCOMPARE(why, QStringLiteral("round robin: turn 1 of 3 → a"));
    QCOMPARE(pool.pick(c, {})->name, QStringLiteral("b"));
    QCOMPARE(why, QStringLiteral("round robin: turn 2 of 3 → b"));
    QVERIFY(pool.setAlgorithm(QStringLiteral("maglev"), pathKey()));
    c.path = "/cart";
    const QString chosen = pool.pick(c, {})->name;
    QVERIFY2(why.startsWith(QStringLiteral("maglev: key \"/cart\" → slot ")) &&
                 why.endsWith(QStringLiteral("→ ") + chosen),
             qPrintable(why));
    why.clear();
    c.explanation = nullptr;
    QVERIFY(pool.pick(c, {}));
    QVERIFY(why.isEmpty());
}

// Workers pick while the operator changes weights: tables are swapped under them, every pick gets a
// member, and (under TSan in scripts/test) nothing races. Bounded: 2 × 20 000 picks, 40 changes.
void TestBalancerTables::picksRunWhileTablesRebuild()
{
    BackendPool pool(poolConfigs({"a", "b", "c", "d"}), QStringLiteral("maglev"));
    QVERIFY(pool.setAlgorithm(QStringLiteral("maglev"), pathKey()));
    std::atomic<int> empty{0};
    auto worker = [&](int seed) {
        for (int k = 0; k < 20'000; ++k) {
            if (!pool.pick(keyed("/w/" + QByteArray::number(seed * 100'000 + k)), {}))
                ++empty;
        }
    };
    std::thread t1(worker, 1);
    std::thread t2(worker, 2);
    const quint64 builds = pool.tableBuilds();
    for (int i = 0; i < 40; ++i)
        pool.setWeight(*pool.byName(QStringLiteral("a")), 1 + (i + 1) % 4); // each differs from the last
    t1.join();
    t2.join();
    QCOMPARE(empty.load(), 0);
    QCOMPARE(pool.tableBuilds(), builds + 40);
}

QTEST_GUILESS_MAIN(TestBalancerTables)
#include "tst_balancertables.moc"
