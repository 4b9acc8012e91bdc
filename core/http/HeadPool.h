#pragma once

#include "HttpMessage.h"

#include <vector>

namespace lab::http {

// Parsed heads kept for their buffers (the method, target and header strings a head's fields were read
// into), one pool per thread (thread_local: no lock). A connection gives its last request head here when
// the exchange ends and its parser takes one back when the next message begins, so an idle keep-alive
// connection holds no head while the next request is parsed into warm buffers without allocating (the
// last head given back goes out first). At most kKeep heads are kept; one with more than kMaxFields
// fields is dropped rather than kept.
class HeadPool final {
public:
    static constexpr int kKeep = 512;
    static constexpr qsizetype kMaxFields = 64;

    static HeadPool& local();
    // Leaves `head` empty (it holds no memory afterwards); its buffers are kept when worth it.
    void give(HttpHead& head);
    // Fields from a parser's spare list go with the head: they are buffers too.
    void give(HttpHead& head, QList<HttpHeader>& spares);
    // A head whose buffers were used before, or an empty one; its contents are stale (the parser
    // overwrites them field by field).
    HttpHead take();
    int size() const { return int(m_free.size()); }

private:
    std::vector<HttpHead> m_free;
};

} // namespace lab::http
