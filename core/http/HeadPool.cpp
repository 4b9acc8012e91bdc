#include "HeadPool.h"

namespace lab::http {

HeadPool& HeadPool::local()
{
    thread_local HeadPool pool;
    return pool;
}

void HeadPool::give(HttpHead& head)
{
    QList<HttpHeader> none;
    give(head, none);
}

void HeadPool::give(HttpHead& head, QList<HttpHeader>& spares)
{
    HttpHead kept = std::move(head);
    head = HttpHead{};
    while (!spares.isEmpty() && kept.headers.size() < kMaxFields)
        kept.headers.append(spares.takeLast());
    spares = QList<HttpHeader>{};
    if (kept.headers.capacity() == 0 && kept.target.capacity() == 0)
        return; // nothing worth keeping
    if (int(m_free.size()) >= kKeep || kept.headers.size() > kMaxFields)
        return; // freed here
    if (m_free.capacity() == 0)
        m_free.reserve(kKeep);
    m_free.push_back(std::move(kept));
}

HttpHead HeadPool::take()
{
    if (m_free.empty())
        return {};
    HttpHead head = std::move(m_free.back());
    m_free.pop_back();
    return head;
}

} // namespace lab::http
