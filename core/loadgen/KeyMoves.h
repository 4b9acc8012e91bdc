#pragma once

#include <QList>
#include <QMap>
#include <QString>

namespace lab {

struct LoadTotals;

// Where each simulated user's answers came from at one moment: the generator's per-user totals, as the
// hash view and the scenario's "moved" expectation take them before and after a change. The keys may be
// paths instead of users (ofPaths): the comparison is the same.
struct UserPlacement {
    QMap<QString, QString> backendOf; // user ("u3") -> the backend of its latest answer
    QMap<QString, quint64> answers; // user -> answers it had so far (all backends)

    static UserPlacement of(const LoadTotals& totals);
    // The same for the paths the users requested (the keys of a "path" hash key).
    static UserPlacement ofPaths(const LoadTotals& totals);
    bool isEmpty() const { return backendOf.isEmpty(); }
};

// Which users (the keys a hash balancer or a sticky cookie maps) changed backend between two placements
// of one traffic run. Only a user placed before that has answered since can have moved or stayed: one
// still waiting for its next answer is counted apart, never as "stayed" (its old answer says nothing
// about the new mapping). Pure: the check and the view share it, and tests feed it by hand.
// Cost: O(users log users).
struct KeyMoves {
    struct Move {
        QString user;
        QString from;
        QString to;
    };
    int compared = 0; // placed before and answered since: moved + stayed
    int waiting = 0; // placed before, no answer since
    int fresh = 0; // first answered after `before` (no old backend to compare)
    QList<Move> moved; // in user number order (u2 before u10)
    QMap<QString, int> usersBefore; // backend -> compared users that were on it before
    QMap<QString, int> movedFrom; // backend -> users that left it

    int stayed() const { return compared - int(moved.size()); }
    // moved / compared; 0 when nothing was compared.
    double fraction() const;
    // Users that moved although they were not on `backend` before.
    int movedNotFrom(const QString& backend) const;
    // Users that moved to somewhere other than `backend`.
    int movedNotTo(const QString& backend) const;
    bool movedUser(const QString& user) const;
};

KeyMoves compareUsers(const UserPlacement& before, const UserPlacement& after);

// u2 before u10, /item/2 before /item/10: keys by their text, the last run of digits compared as a number.
bool keyNumberLess(const QString& a, const QString& b);

} // namespace lab
