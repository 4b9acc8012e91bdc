#include "AttemptTrail.h"

#include <QStringDecoder>
#include <charconv>

namespace lab {

namespace {

// out += QString::fromUtf8(bytes), without the temporary string.
void appendUtf8(QString& out, QByteArrayView bytes)
{
    const qsizetype old = out.size();
    out.resize(old + bytes.size()); // UTF-8 never takes fewer bytes than UTF-16 code units
    QStringDecoder decoder(QStringDecoder::Utf8);
    const QChar* end = decoder.appendToBuffer(out.data() + old, bytes);
    out.resize(qsizetype(end - out.constData()));
}

} // namespace

void AttemptTrail::clear()
{
    m_tried.clear();
    m_attempts.clear();
    m_chain.truncate(0); // keeps its buffer: the next request's chain is written into it
    m_why.truncate(0);
    m_count = 0;
}

int AttemptTrail::begin(int backendId)
{
    if (!m_tried.contains(backendId))
        m_tried.append(backendId);
    m_attempts.append(backendId);
    return ++m_count;
}

void AttemptTrail::retract(int backendId)
{
    const qsizetype last = m_attempts.lastIndexOf(backendId);
    if (last >= 0)
        m_attempts.remove(last);
    if (!m_attempts.contains(backendId))
        m_tried.removeOne(backendId);
    --m_count;
}

std::span<const int> AttemptTrail::avoided(RetryAvoid rule) const
{
    switch (rule) {
    case RetryAvoid::Tried: return tried();
    case RetryAvoid::Previous:
        if (m_attempts.isEmpty())
            return {};
        return {m_attempts.data() + m_attempts.size() - 1, 1};
    case RetryAvoid::None: return {};
    }
    return tried();
}

void AttemptTrail::add(const QString& backendName, const QString& outcome)
{
    if (!m_chain.isEmpty())
        m_chain += QStringLiteral(" → ");
    m_chain += backendName;
    m_chain += u": ";
    m_chain += outcome;
}

void AttemptTrail::add(const QString& backendName, int status)
{
    char digits[16];
    const auto end = std::to_chars(digits, digits + sizeof digits, status).ptr;
    if (!m_chain.isEmpty())
        m_chain += QStringLiteral(" → ");
    m_chain += backendName;
    m_chain += u": ";
    m_chain += QLatin1StringView(digits, qsizetype(end - digits));
}

void AttemptTrail::note(const QString& text)
{
    if (!m_chain.isEmpty())
        m_chain += QStringLiteral(" → ");
    m_chain += text;
}

bool AttemptTrail::follow(LifecycleStream& stream, bool always)
{
    m_requestId = 0;
    m_answeredBy = -1;
    m_stream = &stream;
    if (!stream.follow(always, &m_requestId))
        m_requestId = 0;
    return m_requestId != 0;
}

void AttemptTrail::record(LifecycleKind kind, int backendId, int status, QStringView detail)
{
    if (m_requestId == 0)
        return;
    LifecycleEvent e;
    e.requestId = m_requestId;
    e.kind = kind;
    e.backendId = backendId;
    e.status = status;
    e.attempt = m_count;
    m_stream->record(e, detail);
}

void AttemptTrail::recordArrived(QByteArrayView method, QByteArrayView target, QByteArrayView client)
{
    if (m_requestId == 0)
        return;
    thread_local QString text;
    text.truncate(0);
    text += QLatin1StringView(method);
    text += u' ';
    appendUtf8(text, target);
    text += u" from ";
    text += QLatin1StringView(client);
    record(LifecycleKind::Arrived, -1, 0, text);
}

void AttemptTrail::finish(int status, double latencyMs, quint64 traceSequence)
{
    if (m_requestId == 0)
        return;
    LifecycleEvent e;
    e.requestId = std::exchange(m_requestId, 0); // exactly one Finished per followed request
    e.kind = LifecycleKind::Finished;
    e.backendId = m_answeredBy;
    e.status = status;
    e.attempt = m_count;
    e.latencyMs = latencyMs;
    e.traceSequence = traceSequence;
    m_stream->record(e, {});
}

void AttemptTrail::explain(QStringView why)
{
    if (!m_why.isEmpty())
        m_why += QStringLiteral("; ");
    m_why += why;
    if (!m_lastPick.isEmpty())
        m_lastPick += QStringLiteral("; ");
    m_lastPick += why;
}

} // namespace lab
