#include "ChangeMarkers.h"

#include "BackendTableModel.h"
#include "fakebackend/FakeBackend.h"
#include "lab/Lab.h"

namespace lab {

ChangeMarkers::ChangeMarkers(const Lab* lab, const BackendTableModel* board)
    : m_lab(lab)
    , m_board(board)
{
}

QStringList ChangeMarkers::changes()
{
    const QString algorithm = m_lab->config().algorithm;
    QHash<QString, Backend> backends;
    QStringList order; // the board's order, so labels of one look come out in it
    for (const BackendId id : m_lab->backendIds()) {
        Backend b;
        const BackendConfig& c = m_lab->backendConfig(id);
        b.weight = c.weight;
        if (const FakeBackend* fake = m_lab->embeddedBackend(id))
            b.faults = fake->faults();
        const int row = m_board->rowOf(id);
        if (row >= 0 && m_board->row(row).name == c.name)
            b.state = BackendTableModel::stateText(m_board->row(row).state);
        backends.insert(c.name, b);
        order << c.name;
    }
    QStringList out;
    QHash<QString, QStringList> movedTo; // state -> the backends that entered it, in board order
    QStringList states; // in the order first entered
    if (m_seen) {
        if (algorithm != m_algorithm)
            out << tr("algorithm → %1").arg(algorithm);
        for (const QString& name : std::as_const(order)) {
            const Backend& now = backends[name];
            const auto was = m_backends.constFind(name);
            if (was == m_backends.cend()) {
                out << tr("%1 added").arg(name);
                continue;
            }
            if (now.weight != was->weight)
                out << tr("%1 weight %2").arg(name).arg(now.weight);
            if (!(now.faults == was->faults))
                out << tr("%1 faults").arg(name);
            if (now.state != was->state && !now.state.isEmpty() && !was->state.isEmpty()) {
                if (!movedTo.contains(now.state))
                    states << now.state;
                movedTo[now.state] << name;
            }
        }
        // Several backends reaching one state at once (all started, all DOWN) make one short label.
        for (const QString& state : std::as_const(states)) {
            const QStringList& names = movedTo[state];
            if (names.size() >= 3)
                out << tr("%1 backends %2").arg(names.size()).arg(state);
            else
                for (const QString& name : names)
                    out << QStringLiteral("%1 %2").arg(name, state);
        }
        for (auto it = m_backends.cbegin(); it != m_backends.cend(); ++it) {
            if (!backends.contains(it.key()))
                out << tr("%1 removed").arg(it.key());
        }
    }
    m_seen = true;
    m_algorithm = algorithm;
    m_backends = std::move(backends);
    return out;
}

} // namespace lab
