#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QString>
#include <QStringList>
#include <QVarLengthArray>
#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <random>
#include <span>
#include <vector>

namespace lab {

struct Backend;
namespace http {
struct HttpHead;
}

struct PickNote;

// What an algorithm may look at besides the backends: who is asking, for what, and when.
struct PickContext {
    QHostAddress clientAddress;
    QByteArray path;
    const http::HttpHead* request = nullptr; // for header and cookie hash keys; may be null
    qint64 nowMs = 0; // steady clock, set by the pool
    QString* explanation = nullptr; // when set, set to the sentence saying why, in its own buffer (sampled requests)
    PickNote* note = nullptr; // when set, the algorithm records why in it (see PickNote); set by the pool
    // A retry under HAProxy's rule (retry.avoid "previous"), set by the caller of BackendPool::pick: the
    // backend the retry avoids keeps its place in the rotation, and meeting it there uses its turn up. The
    // pool then fills `rotation` (eligible plus avoided, in pool order) and `avoided` (those of `rotation`
    // not in `eligible`) when the retry avoids a backend that would be eligible otherwise; both are empty
    // for a first attempt and under nginx's rule ("tried"), where the avoided backends are simply left
    // out of the pick. Round robin and weighted round robin read them (HAProxy's roundrobin walks its
    // whole schedule past the server to avoid); the other algorithms choose among `eligible` either way.
    bool avoidedKeepTheirTurn = false;
    // For the explanation only (set by the pool when a note is asked for): how many backends a retry
    // under nginx's rule left out of `eligible` because it tried them (they would be eligible otherwise),
    // so that "turn 2 of 2" can say why there are 2 of 3.
    int triedLeftOut = 0;
    std::span<Backend* const> rotation;
    std::span<Backend* const> avoided;
    bool isAvoided(const Backend* b) const { return std::find(avoided.begin(), avoided.end(), b) != avoided.end(); }
};

// Why an algorithm picked what it picked, for a sampled request: recorded under the pool's lock as names
// and numbers only, turned into a sentence by text() after the lock is released (formatting is the slow
// part). Each algorithm sets `format` to its own sentence builder, so its wording stays in its own file;
// the meaning of `entries` and `numbers` is that algorithm's. The sentence is written into the caller's
// buffer, so a caller that reuses one (and a format that writes its numbers with appendNumber) explains
// a pick without a heap allocation; the pool reuses one note per thread (reset()).
struct PickNote {
    struct Entry {
        QString name; // implicitly shared: copying it under the lock is a reference count
        qint64 count = 0;
        qint64 other = 0;
        double value = 0;
    };
    void (*format)(const PickNote& note, QString& out) = nullptr;
    QString chosen;
    QVarLengthArray<Entry, 8> entries; // per backend, in the eligible order
    std::array<qint64, 4> numbers{}; // a turn, a slot, a total, ...
    QByteArray key; // the hashed key, cut to 40 bytes
    QHostAddress client;
    void appendText(QString& out) const;
    void writeText(QString& out) const { out.truncate(0), appendText(out); } // replaces, keeps out's buffer
    QString text() const;
    void reset(); // as new, keeping the buffers
};

// Appends `n` in decimal, as QString::number(n) would write it, without a temporary string.
void appendNumber(QString& out, qint64 n);

// Where hash-based algorithms (ring-hash, maglev) take their key from.
struct HashKeySpec {
    enum class Source { Client, Path, Header, Cookie };
    Source source = Source::Client;
    QByteArray name; // header or cookie name
    // The one grammar of hash keys (config, CLI, window, Lab): "client", "path", "header:NAME" or
    // "cookie:NAME" where NAME is 1-64 letters, digits, '-' or '_' (a header or cookie name; case
    // matters for the prefix). False, and *out untouched, for anything else.
    static bool parse(const QString& text, HashKeySpec* out);
    // Empty when parse() accepts `text`; else the one sentence (without a subject) that says what is
    // allowed: "must be client, path, header:NAME or cookie:NAME (NAME: letters, digits, - and _; got \"x\")".
    static QString problem(const QString& text);
    QByteArray keyOf(const PickContext& context) const;
    // hash64 of the key, without building it when it is the client address (the hot path).
    quint64 hashOf(const PickContext& context) const;
};

// A balancing algorithm. Pure: no sockets, no timers, no clock of its own. It receives the eligible
// backends (already filtered for health, operator state and earlier attempts of this request) and
// returns one of them. pick() is called under the pool's lock, so one instance serves every worker
// thread and implementations keep plain, unsynchronised state. Randomness comes from a seedable engine.
// Names, summaries and factories: Registry.h.
//
// Table-based algorithms (ring-hash, maglev) build their table in rebuild(), which the pool calls
// outside its lock when membership or weights change, and publish it whole (PublishedTable); pick()
// only reads. The table covers every member, eligible or not: a lookup skips the ineligible, so a
// backend that leaves and comes back needs no rebuild and gets exactly its keys back.
class Balancer {
public:
    virtual ~Balancer() = default;
    virtual QString name() const = 0;
    // eligible is never empty. When context.explanation is set and context.note is not (a caller
    // without a lock of its own, such as a test), the sentence is written before pick() returns.
    Backend* pick(std::span<Backend* const> eligible, const PickContext& context);
    void seed(quint64 seed) { m_random.seed(seed); }

    // Builds and publishes the lookup table for these members. Never called under the pool's lock;
    // calls are serialised by the caller. Algorithms without a table do nothing.
    virtual void rebuild(std::span<Backend* const> members) { Q_UNUSED(members); }
    // How many tables rebuild() has published (0 for algorithms without one).
    virtual quint64 tableBuilds() const { return 0; }
    // Whether the newest table was built for other members or weights than these. Called by the one
    // rebuilding thread only (as rebuild() is). Algorithms without a table: never.
    virtual bool tableStale(std::span<Backend* const> members) const
    {
        Q_UNUSED(members);
        return false;
    }
    // True once after a pick found the table stale (an eligible backend or a weight it was not built
    // for: a change that bypassed BackendPool::setWeight). The pick used the old table; the pool
    // rebuilds after its lock is released.
    bool takeRebuildRequest()
    {
        // A plain load first: the common answer (no) costs no read-modify-write on every pick.
        return m_rebuildWanted.load(std::memory_order_relaxed) &&
            m_rebuildWanted.exchange(false, std::memory_order_relaxed);
    }

protected:
    // The algorithm proper: choose among `eligible`, and fill context.note when it is set.
    virtual Backend* choose(std::span<Backend* const> eligible, const PickContext& context) = 0;
    void requestRebuild() { m_rebuildWanted.store(true, std::memory_order_relaxed); }

    std::mt19937_64 m_random{0x1ab5eedULL};

private:
    std::atomic<bool> m_rebuildWanted{false};
};

// 64-bit hashing shared by the hash algorithms (FNV-1a folded through a splitmix64 finaliser).
quint64 hash64(QByteArrayView data, quint64 seed = 0);
// Effective weight of a backend (at least 1).
int weightOf(const Backend& b);

// For table-based algorithms (ring-hash, maglev): which backend ids are in the eligible set, found in
// O(1) from an id stored in a table built earlier.
class EligibleById {
public:
    explicit EligibleById(std::span<Backend* const> eligible);
    Backend* operator()(int id) const { return id >= 0 && id < m_byId.size() ? m_byId[id] : nullptr; }

private:
    QVarLengthArray<Backend*, 64> m_byId;
};

// The weights a table was built with, by backend id. A table is stale when an eligible backend is new
// to it or its weight changed; backends that merely left the eligible set are skipped at lookup.
class TableWeights {
public:
    bool stale(std::span<Backend* const> eligible) const;
    void builtFor(std::span<Backend* const> members);

private:
    std::vector<int> m_weights; // 0 = not in the table
};

} // namespace lab
