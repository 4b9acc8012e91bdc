#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QString>
#include <QStringList>
#include <QVarLengthArray>
#include <memory>
#include <random>
#include <span>
#include <vector>

namespace lab {

struct Backend;
namespace http {
struct HttpHead;
}

// What an algorithm may look at besides the backends: who is asking, for what, and when.
struct PickContext {
    QHostAddress clientAddress;
    QByteArray path;
    const http::HttpHead* request = nullptr; // for header and cookie hash keys; may be null
    qint64 nowMs = 0; // steady clock, set by the pool
    QString* explanation = nullptr; // when set, the algorithm says why it picked (sampled requests)
};

// Where hash-based algorithms (ring-hash, maglev) take their key from.
struct HashKeySpec {
    enum class Source { Client, Path, Header, Cookie };
    Source source = Source::Client;
    QByteArray name; // header or cookie name
    // "client", "path", "header:NAME", "cookie:NAME"; false for anything else.
    static bool parse(const QString& text, HashKeySpec* out);
    QByteArray keyOf(const PickContext& context) const;
    // hash64 of the key, without building it when it is the client address (the hot path).
    quint64 hashOf(const PickContext& context) const;
};

// A balancing algorithm. Pure: no sockets, no timers, no clock of its own. It receives the eligible
// backends (already filtered for health, operator state and earlier attempts of this request) and
// returns one of them. Called under the pool's lock, so one instance serves every worker thread and
// implementations keep plain, unsynchronised state. Randomness comes from a seedable engine.
class Balancer {
public:
    virtual ~Balancer() = default;
    virtual QString name() const = 0;
    // eligible is never empty.
    virtual Backend* pick(std::span<Backend* const> eligible, const PickContext& context) = 0;
    void seed(quint64 seed) { m_random.seed(seed); }

protected:
    std::mt19937_64 m_random{0x1ab5eedULL};
};

// Returns null for an unknown name; names are knownAlgorithms().
std::unique_ptr<Balancer> makeBalancer(const QString& name, const HashKeySpec& key = {});
// One sentence for a learner: what the algorithm does (the window's selector shows it).
QString algorithmSummary(const QString& name);

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

// The weights a table was built with, by backend id. A table must be rebuilt when an eligible backend
// is new to it or its weight changed; backends that merely left the eligible set are skipped at lookup.
class TableWeights {
public:
    bool stale(std::span<Backend* const> eligible) const;
    void rebuiltFor(std::span<Backend* const> eligible);

private:
    std::vector<int> m_weights; // 0 = not in the table
};

} // namespace lab
