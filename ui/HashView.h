#pragma once

#include "loadgen/KeyMoves.h"

#include <QHash>
#include <QStringList>
#include <QTime>
#include <QWidget>

class QLabel;

namespace lab {

class BackendTableModel;
class Lab;
struct LoadTotals;
struct MetricsSnapshot;

// The Hash tab: which backend each simulated user (the key ip-hash, ring-hash and Maglev hash, or the
// holder of a sticky cookie) is on, as a grid of cells in the backends' chart colours, and after a
// change of the backends in rotation or of the algorithm, which users moved (outlined, with where they
// were in the corner) and how many ("12 of 30 users moved since backend-8002 stopped: 10 from
// backend-8002 (out), 2 others"). With ring-hash or Maglev on the "path" key the cells are the paths the
// users asked for (the keys then), from the generator's per-path latest backend.
//
// Everything comes from what happened: the traffic generator's per-user latest backend, taken on the
// window's refresh timer. The picture of the look just before a change is the baseline, so users that
// moved within the first tick are still counted; a user that has not answered since the change is shown
// as waiting (hatched), never as "stayed". A new traffic run or a new lab starts over. Cost per look:
// O(users log users) on the GUI thread (at most 250 users), no signal per request.
class HashView final : public QWidget {
    Q_OBJECT
public:
    explicit HashView(const Lab* lab, QWidget* parent = nullptr);
    Q_DISABLE_COPY_MOVE(HashView)

    // One look: the generator's totals (the lesson's generator while a lesson plays), the latest metrics
    // snapshot (the backends' colour ids, as the charts use them) and the board (who is in rotation).
    void refresh(const LoadTotals& totals, const MetricsSnapshot& snapshot, const BackendTableModel& board);
    // Forgets the users and the change (a new lab): the next look starts over.
    void clear();

    // ip-hash, ring-hash or maglev, or sticky sessions on: the cells mean something.
    bool applies() const { return m_applies; }
    // Ring-hash or maglev on the "path" key: the cells are the paths the users asked for, not the users.
    bool keysArePaths() const { return m_paths; }
    int userCount() const { return int(m_current.backendOf.size()); }
    // The moves since the last change; meaningful while hasChange().
    bool hasChange() const { return m_hasChange; }
    const KeyMoves& moves() const { return m_moves; }
    QString changeText() const { return m_changeText; }
    QString headlineText() const;
    QString countsText() const;
    QString emptyText() const; // what the grid says when there is nothing to draw; empty when it draws
    // The colour of a backend's cells (its chart colour); a backend gone from the lab keeps its colour.
    QColor colorOf(const QString& backend) const;
    // Where a user's cell is, in this widget's coordinates; empty when it is not drawn.
    QRect cellRect(const QString& user) const;

private:
    friend class HashGrid;
    struct Member {
        QString name;
        QString state; // the board's State text
        bool inRotation = false;
    };
    void noticeChange(const QList<Member>& members, const QString& algorithmKey);
    // Also fills m_left and m_joined.
    QString describeChange(const QList<Member>& before, const QList<Member>& after, const QString& oldKey,
                           const QString& newKey);
    void updateTexts();

    const Lab* m_lab;
    QLabel* m_headline;
    QWidget* m_grid;
    QLabel* m_counts;
    bool m_applies = false;
    bool m_paths = false;
    bool m_seen = false;
    QList<Member> m_members; // the board at the last look
    QString m_algorithmKey; // algorithm, hash key, sticky at the last look
    quint64 m_lastSent = 0;
    UserPlacement m_current;
    UserPlacement m_previous; // the look before this one: the baseline when a change shows up now
    UserPlacement m_baseline;
    bool m_hasChange = false;
    QString m_changeText;
    QTime m_changeAt;
    QStringList m_left; // backends that left rotation in the change
    QStringList m_joined; // backends that joined it
    KeyMoves m_moves;
    QStringList m_users; // the keys (users, or paths) in number order
    QHash<QString, int> m_colourId; // backend name -> pool id, kept after it leaves
};

} // namespace lab
