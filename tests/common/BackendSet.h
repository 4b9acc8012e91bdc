#pragma once

// Plain backends for the algorithm tests (tst_balancers, tst_balancertables): never connected to, named
// a, b, c... (or prefix0, prefix1...) with the weights given, ids 0..n-1.
#include "backend/Backend.h"
#include "balancing/Balancer.h"

#include <QString>
#include <initializer_list>
#include <span>
#include <vector>

namespace lab::test {

struct BackendSet {
    std::vector<BackendPtr> owned;
    std::vector<Backend*> all;
    explicit BackendSet(std::initializer_list<int> weights, const QString& prefix = {})
    {
        int i = 0;
        for (int w : weights) {
            auto b = std::make_shared<Backend>();
            b->id = i;
            b->name = prefix.isEmpty() ? QString(QChar(u'a' + i)) : prefix + QString::number(i);
            b->nameUtf8 = b->name.toUtf8();
            b->weight = w;
            owned.push_back(b);
            all.push_back(b.get());
            ++i;
        }
    }
    std::span<Backend* const> span() const { return {all.data(), all.size()}; }
    std::vector<Backend*> without(int id) const
    {
        std::vector<Backend*> out;
        for (Backend* b : all)
            if (b->id != id)
                out.push_back(b);
        return out;
    }
};

// A pick context whose hash key (with pathKey()) is the path.
inline PickContext keyed(const QByteArray& path)
{
    PickContext c;
    c.path = path;
    return c;
}

inline HashKeySpec pathKey()
{
    HashKeySpec key;
    HashKeySpec::parse(QStringLiteral("path"), &key);
    return key;
}

} // namespace lab::test
