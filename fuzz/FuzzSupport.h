#pragma once

// Shared by the libFuzzer targets: feeding a parser the way a connection does, and a check that aborts
// with the offending input described on stderr (libFuzzer then saves the input as a crash artifact).

#include "http/HttpParser.h"

#include <QByteArray>
#include <QList>
#include <cstdio>
#include <cstdlib>

namespace lab::fuzz {

// Control bytes and non-ASCII shown as \xNN, line ends kept, so a report reads whatever the input held.
inline QByteArray printable(const QByteArray& bytes)
{
    QByteArray out;
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\n' || (u >= 0x20 && u < 0x7f))
            out += c;
        else
            out += "\\x" + QByteArray::number(u, 16).rightJustified(2, '0');
    }
    return out;
}

[[noreturn]] inline void failCheck(const char* what, const QByteArray& detail)
{
    std::fprintf(stderr, "fuzz check failed: %s\n%s\n", what, printable(detail).constData());
    std::abort();
}

#define LAB_FUZZ_CHECK(cond, detail)                                                                                   \
    do {                                                                                                               \
        if (!(cond))                                                                                                   \
            ::lab::fuzz::failCheck(#cond, (detail));                                                                   \
    } while (false)

// Records every message the parser reports, with its decoded body.
struct Collector final : http::HttpParserHandler {
    QList<http::HttpHead> heads;
    QList<QByteArray> bodies;
    int completed = 0;
    bool onHead(http::HttpHead& h) override
    {
        heads << h;
        bodies << QByteArray();
        return true;
    }
    void onBody(QByteArrayView d) override
    {
        if (!bodies.isEmpty())
            bodies.last().append(d);
    }
    void onMessageComplete() override { ++completed; }
};

// Feeds `data` in pieces of at most `piece` bytes, one message at a time as HttpSession does (the parser
// stops after each message and feed() says how far it got). Returns false on a parse error.
inline bool feedInPieces(http::HttpParser& p, QByteArrayView data, qsizetype piece)
{
    qsizetype pos = 0;
    while (pos < data.size()) {
        const QByteArrayView slice = data.sliced(pos, qMin(piece, data.size() - pos));
        const qsizetype used = p.feed(slice);
        if (used < 0)
            return false;
        pos += used;
        if (used == 0)
            return true; // feed() consumes at least one byte of a non-empty slice; never spin
    }
    return true;
}

// The limits of the parser that reads a head back: a little above ours, because the proxy adds its own
// fields (Via, X-Forwarded-*, X-Served-By, Date, framing) to a head that was just within them.
inline http::HttpLimits nextHopLimits()
{
    http::HttpLimits limits;
    limits.maxHeaderCount += 16;
    limits.maxHeadBytes += 4096;
    return limits;
}

// The fields of `headers` that `keep(name)` says yes to, in their order.
template <typename Keep> QList<http::HttpHeader> fieldsWhere(const QList<http::HttpHeader>& headers, Keep keep)
{
    QList<http::HttpHeader> out;
    for (const http::HttpHeader& x : headers) {
        if (keep(x.name))
            out << x;
    }
    return out;
}

// Same names, same values, same order.
inline void checkSameFields(const QList<http::HttpHeader>& got, const QList<http::HttpHeader>& expected,
                            const QByteArray& detail)
{
    LAB_FUZZ_CHECK(got.size() == expected.size(), detail);
    for (qsizetype i = 0; i < got.size(); ++i)
        LAB_FUZZ_CHECK(got[i].name == expected[i].name && got[i].value == expected[i].value, detail);
}

inline QByteArray describe(const http::HttpHead& h)
{
    QByteArray out = h.method + ' ' + h.target + " status=" + QByteArray::number(h.statusCode) + '\n';
    for (const http::HttpHeader& x : h.headers)
        out += '[' + x.name + "]: [" + x.value + "]\n";
    return out;
}

} // namespace lab::fuzz
