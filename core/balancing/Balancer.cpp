#include "Balancer.h"

#include "AlgorithmNames.h"
#include "backend/Backend.h"
#include "http/HttpMessage.h"

#include <charconv>
#include <cstdio>

namespace lab {

quint64 hash64(QByteArrayView data, quint64 seed)
{
    quint64 h = 0xcbf29ce484222325ULL ^ seed;
    for (char c : data) {
        h ^= quint8(c);
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

int weightOf(const Backend& b)
{
    return qMax(1, b.weight.load(std::memory_order_relaxed));
}

EligibleById::EligibleById(std::span<Backend* const> eligible)
{
    int maxId = 0;
    for (Backend* b : eligible)
        maxId = qMax(maxId, b->id);
    m_byId.resize(maxId + 1);
    std::fill(m_byId.begin(), m_byId.end(), nullptr);
    for (Backend* b : eligible)
        m_byId[b->id] = b;
}

bool TableWeights::stale(std::span<Backend* const> eligible) const
{
    if (m_weights.empty())
        return true;
    for (Backend* b : eligible) {
        if (size_t(b->id) >= m_weights.size() || m_weights[size_t(b->id)] != weightOf(*b))
            return true;
    }
    return false;
}

void TableWeights::builtFor(std::span<Backend* const> members)
{
    m_weights.assign(kMaxBackendIds, 0);
    for (Backend* b : members)
        m_weights[size_t(b->id)] = weightOf(*b);
}

Backend* Balancer::pick(std::span<Backend* const> eligible, const PickContext& context)
{
    if (!context.explanation || context.note)
        return choose(eligible, context);
    PickNote note;
    PickContext withNote = context;
    withNote.note = &note;
    Backend* chosen = choose(eligible, withNote);
    note.writeText(*context.explanation);
    return chosen;
}

void PickNote::appendText(QString& out) const
{
    if (format)
        format(*this, out);
}

QString PickNote::text() const
{
    QString out;
    appendText(out);
    return out;
}

void PickNote::reset()
{
    format = nullptr;
    chosen = QString();
    entries.clear();
    numbers = {};
    key = QByteArray(); // (truncating a key shared with the request would copy it)
    // `client` is left as it is: only ip-hash reads it and sets it first; a fresh QHostAddress
    // allocates its private part.
}

void appendNumber(QString& out, qint64 n)
{
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    out += QLatin1StringView(digits, qsizetype(end - digits));
}

namespace {

// A header or cookie name as the hash key may name it.
bool validKeyName(QStringView name)
{
    if (name.isEmpty() || name.size() > 64)
        return false;
    for (QChar ch : name) {
        if (ch.unicode() >= 128 || !(ch.isLetterOrNumber() || ch == QLatin1Char('-') || ch == QLatin1Char('_')))
            return false;
    }
    return true;
}

} // namespace

bool HashKeySpec::parse(const QString& text, HashKeySpec* out)
{
    HashKeySpec k;
    if (text == QLatin1String("client")) {
        k.source = Source::Client;
    } else if (text == QLatin1String("path")) {
        k.source = Source::Path;
    } else if (text.startsWith(QLatin1String("header:")) && validKeyName(QStringView(text).mid(7))) {
        k.source = Source::Header;
        k.name = text.mid(7).toLatin1();
    } else if (text.startsWith(QLatin1String("cookie:")) && validKeyName(QStringView(text).mid(7))) {
        k.source = Source::Cookie;
        k.name = text.mid(7).toLatin1();
    } else {
        return false;
    }
    *out = k;
    return true;
}

QString HashKeySpec::problem(const QString& text)
{
    HashKeySpec ignored;
    if (parse(text, &ignored))
        return {};
    return QStringLiteral(
               "must be client, path, header:NAME or cookie:NAME (NAME: letters, digits, - and _; got \"%1\")")
        .arg(text);
}

QString hashKeyProblem(const QString& key)
{
    return HashKeySpec::problem(key);
}

QByteArray HashKeySpec::keyOf(const PickContext& c) const
{
    switch (source) {
    case Source::Client: break;
    case Source::Path: return c.path;
    case Source::Header:
        if (c.request && c.request->hasHeader(name))
            return c.request->header(name);
        break; // no such header: fall back to the client address
    case Source::Cookie:
        if (c.request) {
            bool found = false;
            const QByteArray v = c.request->cookie(name, &found);
            if (found)
                return v;
        }
        break; // no such cookie: fall back to the client address
    }
    const quint32 v4 = c.clientAddress.toIPv4Address();
    return v4 ? QByteArray::number(v4) : c.clientAddress.toString().toLatin1();
}

quint64 HashKeySpec::hashOf(const PickContext& c) const
{
    if (source == Source::Client) {
        if (const quint32 v4 = c.clientAddress.toIPv4Address()) {
            char buf[16]; // the same bytes keyOf() returns, without allocating
            const int n = std::snprintf(buf, sizeof buf, "%u", v4);
            return hash64(QByteArrayView(buf, n));
        }
    }
    return hash64(keyOf(c));
}

} // namespace lab
