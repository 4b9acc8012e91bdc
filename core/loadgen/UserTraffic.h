#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QMap>
#include <QString>
#include <random>

namespace lab {

namespace http {
struct HttpHead;
}

// How simulated users' requests arrive in rate mode.
enum class ArrivalProcess : quint8 {
    Constant, // evenly spaced: one every 1/rate s
    Poisson, // exponential gaps with mean 1/rate s (independent arrivals, as from many people)
    Bursts, // burstSize requests at once, then a pause, so the mean rate is still `rate`
};

QString arrivalName(ArrivalProcess a); // "constant", "poisson", "bursts"
bool parseArrival(const QString& name, ArrivalProcess* out);

// The traffic generator's simulated users. With count >= 2 each user is one keep-alive connection from
// its own loopback address (127.0.0.2 for u1, 127.0.0.3 for u2, ...: ip-hash sees distinct clients), with
// its own cookie jar (a sticky cookie comes back) and an X-Lab-User header naming it. count 0 or 1 is
// the single-client generator of before, unchanged. Each of the three can be turned off, so a lesson can
// show what a balancer does without it: no cookies (sticky sessions cannot stick), no user header (a
// header:X-Lab-User hash key falls back), one shared address (ip-hash sees a single client).
struct UserSpec {
    static constexpr int kMaxUsers = 250; // 127.0.0.2 .. 127.0.0.251
    static constexpr int kMaxThinkMs = 60'000;
    static constexpr int kMaxBurst = 1000;

    int count = 0;
    QByteArray pathTemplate; // "/item/{1..100}": one number drawn uniformly per request; empty: the spec's path
    ArrivalProcess arrival = ArrivalProcess::Constant;
    int burstSize = 10; // Bursts only
    int thinkMs = 0; // a user waits this long after its answer before it sends again
    quint32 seed = 1; // the same seed, the same (user, path) sequence
    bool cookies = true; // keep each user's Set-Cookie values and send them back
    QByteArray userHeader = "X-Lab-User"; // the header naming the user ("u3"); empty: none
    bool ownAddresses = true; // false: every user connects from 127.0.0.1

    bool enabled() const { return count >= 2; }
    // Empty when usable; else a sentence naming the field and what is allowed.
    QString validate() const;
    bool operator==(const UserSpec&) const = default;
};

// A path with at most one numeric range, "/item/{1..100}" (both ends included). Without a range it is
// a plain path, the same for every request.
class PathTemplate final {
public:
    // False with a sentence in *error ("path template: ..."); a template that is empty parses as "/".
    static bool parse(const QByteArray& text, PathTemplate* out, QString* error = nullptr);
    QByteArray draw(std::mt19937& random) const;
    bool ranged() const { return m_high >= m_low && m_hasRange; }
    int low() const { return m_low; }
    int high() const { return m_high; }

private:
    QByteArray m_prefix = "/";
    QByteArray m_suffix;
    int m_low = 0;
    int m_high = 0;
    bool m_hasRange = false;
};

// A header name the users may send: 1-64 letters, digits and '-' (no '_': the proxy drops those).
bool validHeaderName(QByteArrayView name);

// User k's name and loopback source address.
QByteArray userName(int index); // "u1" for index 0
QHostAddress userAddress(int index); // 127.0.0.2 for index 0

// The seeded sequence of simulated-user arrivals in rate mode: when (ms from the start), which user and
// which path. Pure (no clock, no sockets): the same spec and seed give the same sequence, so a test can
// compare two runs' draws and the run can be replayed. Each next() is O(1).
class UserSchedule final {
public:
    struct Arrival {
        double atMs = 0;
        int user = 0;
        QByteArray path;
    };

    // Preconditions: spec.validate() and the template are fine, ratePerSecond > 0.
    UserSchedule(const UserSpec& spec, const PathTemplate& paths, int ratePerSecond);
    Arrival next();

private:
    double gapMs();

    UserSpec m_spec;
    PathTemplate m_paths;
    double m_meanGapMs;
    std::mt19937 m_random;
    double m_atMs = 0;
    quint64 m_index = 0;
};

// One user's cookies: Set-Cookie name=value pairs from responses, sent back in one Cookie header.
// Attributes (Path, Max-Age, ...) are not interpreted: every cookie applies to every path of the proxy,
// and a Max-Age=0 or an empty value removes it (how a proxy forgets a sticky session).
class CookieJar final {
public:
    void take(const http::HttpHead& response);
    QByteArray header() const; // "a=1; b=2", empty when the jar is empty
    bool isEmpty() const { return m_cookies.isEmpty(); }

private:
    QMap<QByteArray, QByteArray> m_cookies;
};

} // namespace lab
