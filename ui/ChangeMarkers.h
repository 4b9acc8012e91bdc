#pragma once

#include "fakebackend/FaultProfile.h"

#include <QCoreApplication>
#include <QHash>
#include <QString>
#include <QStringList>

namespace lab {

class BackendTableModel;
class Lab;

// Notices what the charts mark with a vertical line: the algorithm, a backend's weight or faults, or the
// state the board shows for it (stopped, DOWN, ejected, circuit open, draining …) changed, and a backend
// came or went. It compares a small picture of the lab on every look (a few values per backend), so it
// sees each change whichever way it was made (this window, a scenario, the lab's own health machinery)
// without reading the event log's sentences. Cost: O(backends) per look.
class ChangeMarkers final {
    Q_DECLARE_TR_FUNCTIONS(ChangeMarkers)
public:
    ChangeMarkers(const Lab* lab, const BackendTableModel* board);

    // Short labels for what changed since the last look ("algorithm → random", "backend-8002 weight 5");
    // none on the first look after construction or forget().
    QStringList changes();
    // A new lab: the next look takes a fresh picture instead of reporting every difference.
    void forget() { m_seen = false; }

private:
    struct Backend {
        int weight = 0;
        FaultProfile faults;
        QString state; // the board's State text
    };
    const Lab* m_lab;
    const BackendTableModel* m_board;
    bool m_seen = false;
    QString m_algorithm;
    QHash<QString, Backend> m_backends; // by name
};

} // namespace lab
