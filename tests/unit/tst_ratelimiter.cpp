// The rate limiter's token buckets on a manual clock: the burst, the exact refill, keys apart, the
// bounded key table and a live change of rate.
#include "http/HttpMessage.h"
#include "proxy/RateLimiter.h"
#include "util/Clock.h"

#include <QtTest>

using namespace lab;

class TestRateLimiter : public QObject {
    Q_OBJECT

    static RateLimitConfig config(double rps, int burst, const QString& key = QStringLiteral("client"))
    {
        RateLimitConfig c;
        c.requestsPerSecond = rps;
        c.burst = burst;
        c.key = key;
        return c;
    }
    // One letter per request: 'a' allowed, 'r' refused.
    static QString run(RateLimiter& limiter, const QByteArray& key, int n)
    {
        QString out;
        for (int i = 0; i < n; ++i)
            out += limiter.admit(key).allowed ? u'a' : u'r';
        return out;
    }

private Q_SLOTS:
    void burstThenExactRefill_data()
    {
        QTest::addColumn<double>("rps");
        QTest::addColumn<int>("burst");
        QTest::addColumn<QString>("atOnce");
        QTest::addColumn<qint64>("retryAfterMs");
        QTest::newRow("2/s burst 3") << 2.0 << 3 << "aaar" << qint64(500);
        QTest::newRow("10/s burst 1") << 10.0 << 1 << "ar" << qint64(100);
        QTest::newRow("0.5/s burst 2") << 0.5 << 2 << "aarr" << qint64(2000);
        QTest::newRow("4/s burst 0 = one second's worth") << 4.0 << 0 << "aaaar" << qint64(250);
    }
    void burstThenExactRefill()
    {
        QFETCH(double, rps);
        QFETCH(int, burst);
        QFETCH(QString, atOnce);
        QFETCH(qint64, retryAfterMs);
        auto clock = std::make_shared<ManualClock>();
        RateLimiter limiter(clock, 16);
        limiter.configure(config(rps, burst));
        QCOMPARE(run(limiter, "k", int(atOnce.size())), atOnce);
        RateLimiter::Decision d = limiter.admit("k");
        QVERIFY(!d.allowed);
        QCOMPARE(d.retryAfterMs, retryAfterMs);
        QCOMPARE(d.retryAfterSeconds(), qMax<qint64>(1, (retryAfterMs + 999) / 1000));
        // One millisecond short of a token: still refused, and the wait left is that millisecond.
        clock->advance(retryAfterMs - 1);
        d = limiter.admit("k");
        QVERIFY(!d.allowed);
        QCOMPARE(d.retryAfterMs, qint64(1));
        clock->advance(1);
        QCOMPARE(run(limiter, "k", 2), QStringLiteral("ar"));
        // A long pause refills to the burst, never past it.
        clock->advance(3'600'000);
        const int full = burst > 0 ? burst : int(std::ceil(rps));
        QCOMPARE(run(limiter, "k", full + 1), QString(full, u'a') + u'r');
    }

    void keysAreIndependent()
    {
        auto clock = std::make_shared<ManualClock>();
        RateLimiter limiter(clock, 16);
        limiter.configure(config(1, 2));
        QCOMPARE(run(limiter, "greedy", 5), QStringLiteral("aarrr"));
        QCOMPARE(run(limiter, "polite", 2), QStringLiteral("aa"));
        clock->advance(1000);
        QCOMPARE(run(limiter, "greedy", 2), QStringLiteral("ar"));
        QCOMPARE(run(limiter, "polite", 2), QStringLiteral("ar"));
        QCOMPARE(limiter.keyCount(), 2);
    }

    void refusalSummaryNamesTheTopKeyAndStartsOver()
    {
        auto clock = std::make_shared<ManualClock>();
        RateLimiter limiter(clock, 16);
        QCOMPARE(limiter.takeRefusals().refused, quint64(0));
        for (int i = 0; i < 5; ++i)
            limiter.noteRefused("127.0.0.20");
        limiter.noteRefused("127.0.0.21");
        limiter.noteRefused("127.0.0.21");
        const RateLimiter::RefusalSummary s = limiter.takeRefusals();
        QCOMPARE(s.refused, quint64(7));
        QCOMPARE(s.topKey, QByteArray("127.0.0.20"));
        QCOMPARE(s.topRefused, quint64(5));
        QCOMPARE(s.keys, 2);
        QCOMPARE(limiter.takeRefusals().refused, quint64(0)); // taken: the next period starts empty
        // Bounded: keys past kMaxSummaryKeys still count in the total.
        for (int i = 0; i < RateLimiter::kMaxSummaryKeys + 10; ++i)
            limiter.noteRefused("k" + QByteArray::number(i));
        const RateLimiter::RefusalSummary many = limiter.takeRefusals();
        QCOMPARE(many.refused, quint64(RateLimiter::kMaxSummaryKeys + 10));
        QCOMPARE(many.keys, RateLimiter::kMaxSummaryKeys);
    }

    void offAllowsEverythingAndForgets()
    {
        auto clock = std::make_shared<ManualClock>();
        RateLimiter limiter(clock, 16);
        QVERIFY(!limiter.enabled());
        QCOMPARE(run(limiter, "k", 50), QString(50, u'a'));
        QCOMPARE(limiter.keyCount(), 0);
        limiter.configure(config(1, 1));
        QCOMPARE(run(limiter, "k", 2), QStringLiteral("ar"));
        limiter.configure(config(0, 1));
        QCOMPARE(limiter.keyCount(), 0);
        QCOMPARE(run(limiter, "k", 5), QStringLiteral("aaaaa"));
    }

    void liveChangeCutsTokensToTheNewBurst()
    {
        auto clock = std::make_shared<ManualClock>();
        RateLimiter limiter(clock, 16);
        limiter.configure(config(1, 10));
        QCOMPARE(run(limiter, "k", 1), QStringLiteral("a")); // 9 left
        limiter.configure(config(1, 3));
        QCOMPARE(run(limiter, "k", 4), QStringLiteral("aaar"));
    }

    void evictionKeepsTheTableBounded()
    {
        auto clock = std::make_shared<ManualClock>();
        RateLimiter limiter(clock, 4);
        limiter.configure(config(1, 2));
        for (int i = 0; i < 4; ++i)
            QCOMPARE(run(limiter, QByteArray::number(i), 2), QStringLiteral("aa")); // all four empty
        QCOMPARE(limiter.keyCount(), 4);
        // Full table, nobody refilled yet: new keys share one overflow bucket (the limit holds for them
        // together) and nothing is evicted.
        QCOMPARE(run(limiter, "new-1", 1), QStringLiteral("a"));
        QCOMPARE(run(limiter, "new-2", 2), QStringLiteral("ar"));
        QCOMPARE(limiter.overflowed(), quint64(3));
        QCOMPARE(limiter.keyCount(), 4);
        // Two seconds later every bucket is full again (= no bucket): the next new key sweeps them away.
        clock->advance(2000);
        QCOMPARE(run(limiter, "new-3", 3), QStringLiteral("aar"));
        QCOMPARE(limiter.keyCount(), 1);
        for (int i = 0; i < 1000; ++i)
            limiter.admit("many-" + QByteArray::number(i));
        QVERIFY(limiter.keyCount() <= limiter.maxKeys());
        // An old key that was evicted starts over with a full bucket (once the sweep had room to make).
        clock->advance(2000);
        QCOMPARE(run(limiter, "0", 1), QStringLiteral("a"));
    }

    void keyOfRequest_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<QByteArray>("bucket");
        QTest::addColumn<QByteArray>("shown");
        QTest::newRow("client") << "client" << QByteArray("tenant-a") << QByteArray("a 127.0.0.2")
                                << QByteArray("127.0.0.2");
        QTest::newRow("header") << "header:X-Api-Key" << QByteArray("tenant-a") << QByteArray("h tenant-a")
                                << QByteArray("tenant-a");
        QTest::newRow("header absent: the address")
            << "header:X-Api-Key" << QByteArray() << QByteArray("a 127.0.0.2") << QByteArray("127.0.0.2");
        // A header cannot draw on an address's bucket by naming the address.
        QTest::newRow("header naming an address")
            << "header:X-Api-Key" << QByteArray("127.0.0.2") << QByteArray("h 127.0.0.2") << QByteArray("127.0.0.2");
    }
    void keyOfRequest()
    {
        QFETCH(QString, key);
        QFETCH(QByteArray, header);
        QFETCH(QByteArray, bucket);
        QFETCH(QByteArray, shown);
        http::HttpHead head;
        head.method = "GET";
        head.target = "/";
        if (!header.isEmpty())
            head.headers.append({"X-Api-Key", header});
        const RateLimitKey k = rateLimitKeyOf(config(1, 1, key), head, "127.0.0.2");
        QCOMPARE(k.bucket, bucket);
        QCOMPARE(k.shown, shown);
    }
};

QTEST_GUILESS_MAIN(TestRateLimiter)
#include "tst_ratelimiter.moc"
