#pragma once

// Shared by the libFuzzer targets: feeding a parser the way a connection does, and a check that aborts
// with the offending input described on stderr (libFuzzer then saves the input as a crash artifact).

#include "http/HttpParser.h"

#include <QByteArray>
#include <QList>
#include <cstdio>
#include <cstdlib>

namespace lab::fuzz {

[[noreturn]] inline void failCheck(const char* what, const QByteArray& detail)
{
    std::fprintf(stderr, "fuzz check failed: %s\n%s\n", what, detail.constData());
    std::abort();
}

#define LAB_FUZZ_CHECK(cond, detail)                                                                          \
    do {                                                                                                      \
        if (!(cond))                                                                                          \
            ::lab::fuzz::failCheck(#cond, (detail));                                                          \
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

inline QByteArray describe(const http::HttpHead& h)
{
    QByteArray out = h.method + ' ' + h.target + " status=" + QByteArray::number(h.statusCode) + '\n';
    for (const http::HttpHeader& x : h.headers)
        out += '[' + x.name + "]: [" + x.value + "]\n";
    return out;
}

} // namespace lab::fuzz
