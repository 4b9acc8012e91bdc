#pragma once

#include <QMutex>
#include <atomic>
#include <memory>

namespace lab {

// A lookup table built aside and published whole, the way Pingora swaps its selector: a builder (any
// thread, outside the pool's lock) hands over an immutable table under a short lock; the reader (pick,
// serialised by the pool's lock) switches to it at its next call and otherwise pays one atomic load.
// Tables are freed by the builder's thread at its next publish, never by a pick, so neither building
// nor freeing a 65537-slot table happens under the pool's lock. builds() counts publishes (tests assert
// that picks do not rebuild).
template <class Table> class PublishedTable final {
public:
    // Reader side: calls are serialised by the caller (the pool's lock). Null until the first publish.
    const Table* current()
    {
        if (m_fresh.load(std::memory_order_acquire)) {
            QMutexLocker lock(&m_mutex);
            m_retired = std::move(m_current); // freed by the next publish, off the pick path
            m_current = std::move(m_incoming);
            m_fresh.store(false, std::memory_order_relaxed);
        }
        return m_current.get();
    }

    // Builder side, any thread. The replaced tables are released after the lock, on this thread.
    void publish(std::shared_ptr<const Table> table)
    {
        std::shared_ptr<const Table> unread;
        std::shared_ptr<const Table> retired;
        QMutexLocker lock(&m_mutex);
        unread = std::move(m_incoming);
        retired = std::move(m_retired);
        m_incoming = std::move(table);
        m_fresh.store(true, std::memory_order_release);
        m_builds.fetch_add(1, std::memory_order_relaxed);
        lock.unlock();
    }

    // The newest table, published or already read (for inspection: slot counts, tests).
    std::shared_ptr<const Table> latest() const
    {
        QMutexLocker lock(&m_mutex);
        return m_incoming ? m_incoming : m_current;
    }

    quint64 builds() const { return m_builds.load(std::memory_order_relaxed); }

private:
    mutable QMutex m_mutex; // guards m_incoming, m_retired and the swap into m_current
    std::atomic<bool> m_fresh{false}; // m_incoming holds a table the reader has not taken yet
    std::atomic<quint64> m_builds{0};
    std::shared_ptr<const Table> m_current; // the reader's
    std::shared_ptr<const Table> m_incoming;
    std::shared_ptr<const Table> m_retired;
};

} // namespace lab
