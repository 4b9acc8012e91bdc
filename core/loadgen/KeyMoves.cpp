#include "KeyMoves.h"

#include "LoadGenerator.h"

#include <algorithm>
#include <tuple>

namespace lab {

UserPlacement UserPlacement::of(const LoadTotals& t)
{
    UserPlacement p;
    p.backendOf = t.lastBackendOfUser;
    for (auto it = t.byUser.cbegin(); it != t.byUser.cend(); ++it) {
        quint64 n = 0;
        for (quint64 c : it.value())
            n += c;
        p.answers.insert(it.key(), n);
    }
    return p;
}

UserPlacement UserPlacement::ofPaths(const LoadTotals& t)
{
    return {t.lastBackendOfPath, t.answersOfPath};
}

bool keyNumberLess(const QString& a, const QString& b)
{
    const auto split = [](const QString& p) {
        qsizetype end = p.size();
        while (end > 0 && !p[end - 1].isDigit())
            --end;
        qsizetype begin = end;
        while (begin > 0 && p[begin - 1].isDigit())
            --begin;
        return std::tuple(p.left(begin), p.mid(begin, end - begin).toLongLong(), p.mid(end));
    };
    const auto [pa, na, sa] = split(a);
    const auto [pb, nb, sb] = split(b);
    if (pa != pb)
        return pa < pb;
    if (na != nb)
        return na < nb;
    return sa != sb ? sa < sb : a < b;
}

KeyMoves compareUsers(const UserPlacement& before, const UserPlacement& after)
{
    KeyMoves m;
    QStringList users = after.backendOf.keys();
    std::sort(users.begin(), users.end(), keyNumberLess);
    for (const QString& u : std::as_const(users)) {
        const auto was = before.backendOf.constFind(u);
        if (was == before.backendOf.cend()) {
            ++m.fresh;
            continue;
        }
        // A different count (also a smaller one: a new run began) means an answer came since.
        if (after.answers.value(u) == before.answers.value(u))
            continue;
        ++m.compared;
        ++m.usersBefore[*was];
        const QString& now = after.backendOf[u];
        if (now != *was) {
            m.moved.append({u, *was, now});
            ++m.movedFrom[*was];
        }
    }
    for (auto it = before.backendOf.cbegin(); it != before.backendOf.cend(); ++it) {
        const bool answered =
            after.backendOf.contains(it.key()) && after.answers.value(it.key()) != before.answers.value(it.key());
        m.waiting += answered ? 0 : 1;
    }
    return m;
}

double KeyMoves::fraction() const
{
    return compared > 0 ? double(moved.size()) / double(compared) : 0.0;
}

int KeyMoves::movedNotFrom(const QString& backend) const
{
    return int(std::count_if(moved.cbegin(), moved.cend(), [&](const Move& m) { return m.from != backend; }));
}

int KeyMoves::movedNotTo(const QString& backend) const
{
    return int(std::count_if(moved.cbegin(), moved.cend(), [&](const Move& m) { return m.to != backend; }));
}

bool KeyMoves::movedUser(const QString& user) const
{
    return std::any_of(moved.cbegin(), moved.cend(), [&](const Move& m) { return m.user == user; });
}

} // namespace lab
