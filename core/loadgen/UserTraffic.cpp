#include "UserTraffic.h"

#include "http/HttpMessage.h"

#include <cmath>

namespace lab {

QString arrivalName(ArrivalProcess a)
{
    switch (a) {
    case ArrivalProcess::Constant: return QStringLiteral("constant");
    case ArrivalProcess::Poisson: return QStringLiteral("poisson");
    case ArrivalProcess::Bursts: return QStringLiteral("bursts");
    }
    return {};
}

bool parseArrival(const QString& name, ArrivalProcess* out)
{
    for (ArrivalProcess a : {ArrivalProcess::Constant, ArrivalProcess::Poisson, ArrivalProcess::Bursts}) {
        if (name == arrivalName(a)) {
            *out = a;
            return true;
        }
    }
    return false;
}

QString UserSpec::validate() const
{
    if (count < 0 || count > kMaxUsers)
        return QStringLiteral("users must be from 0 to %1 (got %2; 0 or 1: one client)").arg(kMaxUsers).arg(count);
    if (thinkMs < 0 || thinkMs > kMaxThinkMs)
        return QStringLiteral("think time must be from 0 to %1 ms (got %2)").arg(kMaxThinkMs).arg(thinkMs);
    if (burstSize < 1 || burstSize > kMaxBurst)
        return QStringLiteral("burst size must be from 1 to %1 (got %2)").arg(kMaxBurst).arg(burstSize);
    if (!userHeader.isEmpty() && !validHeaderName(userHeader))
        return QStringLiteral("user header must be a header name of letters, digits and - (got '%1')")
            .arg(QString::fromLatin1(userHeader));
    QString why;
    PathTemplate t;
    if (!pathTemplate.isEmpty() && !PathTemplate::parse(pathTemplate, &t, &why))
        return why;
    return {};
}

bool validHeaderName(QByteArrayView name)
{
    if (name.isEmpty() || name.size() > 64)
        return false;
    for (char c : name) {
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

bool PathTemplate::parse(const QByteArray& text, PathTemplate* out, QString* error)
{
    auto fail = [&](const QString& why) {
        if (error)
            *error = QStringLiteral("path template '%1': %2").arg(QString::fromUtf8(text), why);
        return false;
    };
    PathTemplate t;
    if (text.isEmpty()) {
        *out = t;
        return true;
    }
    if (!text.startsWith('/') || text.contains(' ') || text.contains('\r') || text.contains('\n'))
        return fail(QStringLiteral("must start with / and contain no spaces or line breaks"));
    const qsizetype open = text.indexOf('{');
    if (open < 0) {
        if (text.contains('}'))
            return fail(QStringLiteral("a } without its {"));
        t.m_prefix = text;
        *out = t;
        return true;
    }
    const qsizetype close = text.indexOf('}', open);
    if (close < 0 || text.indexOf('{', open + 1) >= 0 || text.indexOf('}', close + 1) >= 0)
        return fail(QStringLiteral("at most one range such as {1..100}"));
    const QList<QByteArray> ends = text.mid(open + 1, close - open - 1).split('.');
    // "1..100" splits into "1", "", "100"
    bool okLow = false;
    bool okHigh = false;
    const int low = ends.size() == 3 && ends[1].isEmpty() ? ends[0].toInt(&okLow) : 0;
    const int high = ends.size() == 3 && ends[1].isEmpty() ? ends[2].toInt(&okHigh) : 0;
    if (!okLow || !okHigh || low < 0 || high < low || high > 1'000'000'000)
        return fail(QStringLiteral("the range must be {LOW..HIGH} with 0 <= LOW <= HIGH <= 1000000000"));
    t.m_prefix = text.left(open);
    t.m_suffix = text.mid(close + 1);
    t.m_low = low;
    t.m_high = high;
    t.m_hasRange = true;
    *out = t;
    return true;
}

QByteArray PathTemplate::draw(std::mt19937& random) const
{
    if (!m_hasRange)
        return m_prefix;
    // Drawn by hand from the 32-bit output, not with uniform_int_distribution, whose algorithm differs
    // between standard libraries: a seed must give the same paths everywhere. The modulo bias is at most
    // span / 2^32: for the lab's ranges (hundreds) it is far below what a run can show.
    const quint64 span = quint64(m_high - m_low) + 1;
    const quint64 n = quint64(m_low) + quint64(random()) % span;
    return m_prefix + QByteArray::number(n) + m_suffix;
}

QByteArray userName(int index)
{
    return 'u' + QByteArray::number(index + 1);
}

QHostAddress userAddress(int index)
{
    return QHostAddress(quint32(0x7f000002u + quint32(index)));
}

UserSchedule::UserSchedule(const UserSpec& spec, const PathTemplate& paths, int ratePerSecond)
    : m_spec(spec)
    , m_paths(paths)
    , m_meanGapMs(1000.0 / double(qMax(1, ratePerSecond)))
    , m_random(spec.seed)
{
}

double UserSchedule::gapMs()
{
    switch (m_spec.arrival) {
    case ArrivalProcess::Constant: return m_meanGapMs;
    case ArrivalProcess::Poisson: {
        // Inverse transform of a uniform in (0, 1]: the same gaps for a seed on every standard library.
        const double u = (double(m_random()) + 1.0) / 4294967296.0;
        return -std::log(u) * m_meanGapMs;
    }
    case ArrivalProcess::Bursts:
        // The first of each burst waits for the whole burst's share of time; the rest come with it.
        return m_index % quint64(m_spec.burstSize) == 0 ? m_meanGapMs * m_spec.burstSize : 0.0;
    }
    return m_meanGapMs;
}

UserSchedule::Arrival UserSchedule::next()
{
    Arrival a;
    if (m_index > 0 || m_spec.arrival == ArrivalProcess::Poisson)
        m_atMs += gapMs();
    a.atMs = m_atMs;
    a.user = int(quint64(m_random()) % quint64(qMax(1, m_spec.count)));
    a.path = m_paths.draw(m_random);
    ++m_index;
    return a;
}

void CookieJar::take(const http::HttpHead& response)
{
    for (const http::HttpHeader& h : response.headers) {
        if (h.name.compare("set-cookie", Qt::CaseInsensitive) != 0)
            continue;
        const QByteArray pair = h.value.left(h.value.indexOf(';')).trimmed();
        const qsizetype eq = pair.indexOf('=');
        if (eq <= 0)
            continue;
        const QByteArray name = pair.left(eq).trimmed();
        const QByteArray value = pair.mid(eq + 1).trimmed();
        if (value.isEmpty() || h.value.contains("Max-Age=0"))
            m_cookies.remove(name);
        else
            m_cookies.insert(name, value);
    }
}

QByteArray CookieJar::header() const
{
    QByteArray out;
    for (auto it = m_cookies.cbegin(); it != m_cookies.cend(); ++it) {
        if (!out.isEmpty())
            out += "; ";
        out += it.key() + '=' + it.value();
    }
    return out;
}

} // namespace lab
