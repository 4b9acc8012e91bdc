#include "BackendTableModel.h"

#include "StateColors.h"
#include "backend/BackendPool.h"
#include "config/ConfigSchema.h"
#include "fakebackend/FakeBackend.h"
#include "health/ActiveHealthChecker.h"
#include "lab/Lab.h"
#include "metrics/MetricsHistory.h"

#include <QBrush>
#include <QColor>

namespace lab {

BackendTableModel::BackendTableModel(Lab* lab, QObject* parent)
    : QAbstractTableModel(parent)
    , m_lab(lab)
{
    rebuildAll();
    connect(m_lab, &Lab::backendInserted, this, [this](BackendId id) {
        if (rowOf(id) >= 0)
            return;
        // The lab's place for it, which is where it sits among the rows too (both keep one order).
        const int row = int(qBound(qsizetype(0), m_lab->backendIds().indexOf(id), m_rows.size()));
        beginInsertRows({}, row, row);
        m_rows.insert(row, buildRow(id, nullptr));
        endInsertRows();
        Q_EMIT rowsRebuilt();
    });
    connect(m_lab, &Lab::backendRemoved, this, [this](BackendId id) {
        const int row = rowOf(id);
        if (row < 0)
            return;
        beginRemoveRows({}, row, row);
        m_rows.removeAt(row);
        endRemoveRows();
        Q_EMIT rowsRebuilt();
    });
    connect(m_lab, &Lab::labReset, this, [this] {
        beginResetModel();
        rebuildAll();
        endResetModel();
        Q_EMIT rowsRebuilt();
    });
    connect(m_lab, &Lab::backendStateChanged, this, &BackendTableModel::refreshState);
}

void BackendTableModel::rebuildAll()
{
    m_rows.clear();
    for (const BackendId id : m_lab->backendIds())
        m_rows << buildRow(id, nullptr);
}

BackendId BackendTableModel::idAt(int row) const
{
    return row >= 0 && row < m_rows.size() ? m_rows[row].id : BackendId{};
}

int BackendTableModel::rowOf(BackendId id) const
{
    for (int i = 0; i < int(m_rows.size()); ++i) {
        if (m_rows[i].id == id)
            return i;
    }
    return -1;
}

int BackendTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int BackendTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

bool BackendTableModel::tcpOnly() const
{
    bool any = false;
    for (const ListenerConfig& l : m_lab->config().listeners) {
        if (l.kind == ListenerKind::Http)
            return false;
        any = true;
    }
    return any;
}

QString BackendTableModel::stateText(RowState s)
{
    switch (s) {
    case RowState::Up: return tr("up");
    case RowState::Down: return tr("down");
    case RowState::Draining: return tr("draining");
    case RowState::Drained: return tr("drained");
    case RowState::Stopped: return tr("stopped");
    case RowState::Refusing: return tr("refusing");
    case RowState::Hanging: return tr("hanging");
    case RowState::External: return tr("external");
    case RowState::Stopping: return tr("stopping");
    case RowState::Unhealthy: return tr("unhealthy");
    case RowState::Ejected: return tr("ejected");
    case RowState::CircuitOpen: return tr("circuit open");
    case RowState::HalfOpen: return tr("half-open");
    case RowState::SlowStart: return tr("slow start");
    case RowState::PanicRouted: return tr("unhealthy · panic");
    }
    return {};
}

QString BackendTableModel::stateExplanation(RowState s)
{
    switch (s) {
    case RowState::Up: return tr("In rotation: the proxy sends it requests.");
    case RowState::Down:
        return tr("A connection to it was just refused: the proxy skips it for 2 s, then tries again.");
    case RowState::Draining: return tr("Draining: no new requests; the ones in flight are finishing.");
    case RowState::Drained: return tr("Drained: out of rotation with nothing in flight; safe to stop.");
    case RowState::Stopped: return tr("Stopped by the operator: connections to its port are refused.");
    case RowState::Refusing: return tr("The 'refuse' fault is on: its port is closed until the fault is lifted.");
    case RowState::Hanging: return tr("The 'hang' fault is on: it accepts requests and never answers.");
    case RowState::External: return tr("A backend outside the lab, reached over the network.");
    case RowState::Stopping: return tr("Stopping: draining first, then its port closes.");
    case RowState::Unhealthy:
        return tr("Its health probes failed 'fall' times in a row: out of rotation until they pass 'rise' times.");
    case RowState::Ejected:
        return tr("Ejected by outlier detection after consecutive failures on real traffic; back when the time is up.");
    case RowState::CircuitOpen:
        return tr("Circuit breaker open: too many recent requests failed, so it gets no traffic for a while.");
    case RowState::HalfOpen:
        return tr("Circuit breaker half-open: a few trial requests decide whether it closes or opens again.");
    case RowState::SlowStart: return tr("Slow start: just back, its share of traffic ramps up from 10% to 100%.");
    case RowState::PanicRouted:
        return tr("Unhealthy by its probes, but fewer than half of the backends pass theirs (panic routing): the "
                  "proxy trusts the probes less than the traffic and still sends it requests.");
    }
    return {};
}

QColor BackendTableModel::stateColor(RowState s)
{
    switch (s) {
    case RowState::Up: return StateColors::up;
    case RowState::Down:
    case RowState::Stopped:
    case RowState::Unhealthy: return StateColors::down;
    case RowState::Draining:
    case RowState::Drained: return StateColors::draining;
    case RowState::Refusing:
    case RowState::Hanging:
    case RowState::Stopping:
    case RowState::Ejected: return StateColors::ejected;
    case RowState::External: return StateColors::external;
    case RowState::CircuitOpen: return StateColors::circuitOpen;
    case RowState::HalfOpen: return StateColors::halfOpen;
    case RowState::SlowStart: return StateColors::slowStart;
    case RowState::PanicRouted: return StateColors::panicRouted;
    }
    return {};
}

QColor BackendTableModel::healthColor(HealthVerdict v)
{
    return v == HealthVerdict::Failing ? StateColors::down : QColor();
}

BackendTableModel::RowState BackendTableModel::rowStateFor(Eligibility e, RowState running)
{
    switch (e) {
    case Eligibility::Eligible: return running == RowState::External ? RowState::Up : running;
    case Eligibility::PanicRouted: return RowState::PanicRouted;
    case Eligibility::HalfOpen: return RowState::HalfOpen;
    case Eligibility::SlowStart: return running == RowState::Hanging ? RowState::Hanging : RowState::SlowStart;
    case Eligibility::Ejected: return RowState::Ejected;
    case Eligibility::PassiveHold: return RowState::Down;
    case Eligibility::BreakerOpen: return RowState::CircuitOpen;
    case Eligibility::Unhealthy: return RowState::Unhealthy;
    case Eligibility::Draining: return RowState::Draining;
    }
    return running;
}

BackendTableModel::Row BackendTableModel::buildRow(BackendId id, const MetricsHistory* history) const
{
    Row r;
    r.id = id;
    const BackendConfig& cfg = m_lab->backendConfig(id);
    r.name = cfg.name;
    r.address = QStringLiteral("%1:%2").arg(cfg.host).arg(cfg.port);
    r.weight = cfg.weight;
    const BackendPtr b = m_lab->poolBackend(id);
    if (const FakeBackend* fake = m_lab->embeddedBackend(id)) {
        r.embedded = true;
        const FaultProfile f = fake->faults();
        r.queued = fake->counters().queued.load(std::memory_order_relaxed);
        r.inService = fake->counters().inService.load(std::memory_order_relaxed);
        r.queueLimit = f.queue;
        r.workers = f.workers;
        r.latencyMs = f.latencyMs;
        r.state = !fake->isStarted() ? RowState::Stopped
            : !fake->isListening()   ? RowState::Refusing
            : f.hang                 ? RowState::Hanging
                                     : RowState::Up;
    } else {
        r.state = RowState::External;
    }
    const bool running = r.state == RowState::Up || r.state == RowState::External || r.state == RowState::Hanging;
    if (b) {
        r.active = b->activeRequests.load(std::memory_order_relaxed);
        // The pool's own answer (classify(), the one pick() and the sticky pick use), shown over the
        // embedded server's state while that one runs; the operator's choices always show.
        const Eligibility e = m_lab->pool()->eligibility(*b);
        if (m_lab->isStopping(id))
            r.state = RowState::Stopping;
        else if (e == Eligibility::Draining)
            r.state = r.active > 0 ? RowState::Draining : RowState::Drained;
        else if (running)
            r.state = rowStateFor(e, r.state);
        // The cause the event log gave, where the learner looks first: the state's tooltip, with the rule
        // that tripped and where it is set (trial 5 found no setting: they are on by default).
        const LabConfig& lab = m_lab->config();
        if (r.state == RowState::Ejected)
            r.passiveCause = tr("%1\nOutlier detection: %2 failures in a row (5xx, refused, reset or timed out) on "
                                "real traffic eject a backend for %3 s, longer each time. Set in the lab file: "
                                "\"outlierDetection\" (consecutiveFailures, baseEjectionMs, maxEjectionMs, enabled).")
                                 .arg(b->ejectionCause())
                                 .arg(lab.outlier.consecutiveFailures)
                                 .arg(lab.outlier.baseEjectionMs / 1000);
        else if (r.state == RowState::CircuitOpen || r.state == RowState::HalfOpen)
            r.passiveCause = tr("last failure: %1\nCircuit breaker: %2 % or more of at least %3 requests in %4 s "
                                "failed, so it gets none for %5 s, then %6 trial requests. Set in the lab file: "
                                "\"circuitBreaker\" (failurePercent, minRequests, openMs, enabled).")
                                 .arg(b->lastFailure())
                                 .arg(lab.breaker.failurePercent)
                                 .arg(lab.breaker.minRequests)
                                 .arg(lab.breaker.windowMs / 1000)
                                 .arg(lab.breaker.openMs / 1000)
                                 .arg(lab.breaker.halfOpenRequests);
    }
    // The probes' status, read once: the Health cell below and the stopped backend's wording use it.
    const auto probe = m_lab->healthChecker() ? m_lab->healthChecker()->status(r.name) : std::nullopt;
    if (const auto& h = probe) {
        r.healthVerdict = !h->checking ? HealthVerdict::Off
            : h->probes == 0           ? HealthVerdict::Pending
            : h->up                    ? HealthVerdict::Passing
                                       : HealthVerdict::Failing;
        switch (r.healthVerdict) {
        case HealthVerdict::Unknown: break;
        case HealthVerdict::Off: r.health = tr("off"); break;
        case HealthVerdict::Pending: r.health = tr("…"); break;
        case HealthVerdict::Passing:
            r.health = h->failuresInARow ? tr("ok · %1/%2 failed").arg(h->failuresInARow).arg(h->fall) : tr("ok");
            break;
        case HealthVerdict::Failing: r.health = tr("fail · %1/%2 passed").arg(h->passesInARow).arg(h->rise); break;
        }
        r.healthDetail = h->probes
            ? tr("Last probe (%1 %2): %3")
                  .arg(h->config.type, h->config.type == QLatin1String("http") ? h->config.path : QString(),
                       h->lastDetail)
            : tr("No probe yet.");
    }
    // Probes passing beside "ejected" or "circuit open" read as a contradiction (trial 5): the cell says
    // whose verdict "ok" is, and its tooltip why real traffic took the backend out anyway.
    const bool passiveOut =
        r.state == RowState::Ejected || r.state == RowState::CircuitOpen || r.state == RowState::HalfOpen;
    if (passiveOut && r.healthVerdict == HealthVerdict::Passing) {
        // Both verdicts in the cell, each named by its source (trial 7 read a bare "probes ok" beside
        // "ejected" as a contradiction); short, since the board never cuts a value.
        r.health = r.state == RowState::Ejected ? tr("probes ok · passive: ejected")
            : r.state == RowState::CircuitOpen  ? tr("probes ok · passive: open")
                                                : tr("probes ok · passive: half-open");
        r.healthDetail = tr("The active probes pass, but real traffic failed there: %1 (see the State column).\n%2")
                             .arg(stateText(r.state), r.healthDetail);
    }
    // A stopped backend reads stopped, and then what the probes have found so far: a bare probe counter
    // ("ok · 1/3 failed") said it was up and merely flaky (trial 5), a bare "stopped" hid that the proxy
    // learns of it only from its probes, which lessons 1 and 5 teach (trial 9).
    if (r.state == RowState::Stopped && !r.health.isEmpty()) {
        const auto& h = probe;
        switch (r.healthVerdict) {
        case HealthVerdict::Passing:
            r.health = h && h->failuresInARow ? tr("stopped · probes: %1/%2 failed").arg(h->failuresInARow).arg(h->fall)
                                              : tr("stopped · probes: none failed yet");
            break;
        case HealthVerdict::Failing: r.health = tr("stopped · probes: down"); break;
        case HealthVerdict::Off: r.health = tr("stopped · no probes"); break;
        default: r.health = tr("stopped"); break;
        }
        r.healthDetail = tr("Stopped: nothing listens on its port until it is started again. The proxy learns "
                            "that only from its probes: %1 failed in a row and it counts the backend down.")
                             .arg(h ? h->fall : m_lab->config().health.fall) +
            (r.healthDetail.isEmpty() ? QString() : u'\n' + r.healthDetail);
    }
    if (history && b && !history->isEmpty()) {
        // In flight, in service and queued from one snapshot: read live, one moment apart, the three did
        // not add up (trial 5: "5 in flight · 1/2 busy · 0/20 queued" beside Act 4, Queue 1/20).
        for (const BackendStats& s : history->latest().backends) {
            if (s.id != b->id)
                continue;
            r.active = s.inFlight;
            if (s.queued >= 0)
                r.queued = s.queued;
            if (s.inService >= 0)
                r.inService = s.inService;
        }
        if (MetricsHistory::find(history->latest(), b->id)) {
            // Totals since the window's Reset (the history's baseline); the percentiles' window stops there too.
            const TrafficStats t = history->sinceBaseline(b->id);
            r.connections = t.activeConnections;
            r.requests = t.requests;
            r.errors = t.errors();
        }
        r.rate = history->requestRate(b->id, kRateWindowMs);
        const LatencySummary l = history->recentLatency(b->id, kLatencyWindowMs);
        r.p50 = l.percentileMs(50);
        r.p95 = l.percentileMs(95);
        r.p99 = l.percentileMs(99);
    } else if (const int at = rowOf(id); at >= 0) {
        // keep the traffic columns until the next snapshot
        const Row& old = m_rows[at];
        r.connections = old.connections;
        r.requests = old.requests;
        r.rate = old.rate;
        r.errors = old.errors;
        r.p50 = old.p50;
        r.p95 = old.p95;
        r.p99 = old.p99;
    }
    return r;
}

void BackendTableModel::updateRows(const MetricsHistory* history)
{
    for (int i = 0; i < int(m_rows.size()); ++i) {
        if (!m_lab->hasBackend(m_rows[i].id))
            continue; // its backendRemoved is on the way
        Row r = buildRow(m_rows[i].id, history);
        if (r == m_rows[i])
            continue;
        m_rows[i] = std::move(r);
        Q_EMIT dataChanged(index(i, 0), index(i, ColumnCount - 1));
    }
}

void BackendTableModel::refresh(const MetricsHistory& history)
{
    updateRows(&history);
}

void BackendTableModel::refreshState()
{
    updateRows(nullptr);
}

static QString ms(double v)
{
    if (v <= 0)
        return QStringLiteral("–");
    return v < 10 ? QString::number(v, 'f', 2) : v < 100 ? QString::number(v, 'f', 1) : QString::number(v, 'f', 0);
}

QString BackendTableModel::queueText(const Row& r)
{
    if (!r.embedded)
        return {};
    if (r.workers == 0 && r.queued == 0)
        return QStringLiteral("–"); // unlimited workers: nothing ever waits
    return QStringLiteral("%1/%2").arg(r.queued).arg(r.queueLimit);
}

QString BackendTableModel::queueExplanation(const Row& r)
{
    if (r.workers == 0 && r.queued == 0)
        return tr("Unlimited workers: every request is served at once, none waits (%1 in service).").arg(r.inService);
    return tr("%1 waiting for a worker (at most %2 may wait, one more gets 503 queue full); %3 of %4 workers busy.")
        .arg(r.queued)
        .arg(r.queueLimit)
        .arg(r.inService)
        .arg(r.workers ? QString::number(r.workers) : tr("unlimited"));
}

QVariant BackendTableModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& r = m_rows[index.row()];
    if (role == Qt::DisplayRole || role == Qt::EditRole) {
        switch (index.column()) {
        case State: return stateText(r.state);
        case Health: return r.health;
        case Name: return r.name;
        case Address: return r.address;
        case Weight: return r.weight;
        case Active: return r.active;
        case Queue: return queueText(r);
        case Connections: return r.connections;
        case Requests: return r.requests;
        case Rate: return role == Qt::EditRole ? QVariant(r.rate) : QVariant(QString::number(r.rate, 'f', 0));
        case Errors: return r.errors;
        case P50: return role == Qt::EditRole ? QVariant(r.p50) : QVariant(ms(r.p50));
        case P95: return role == Qt::EditRole ? QVariant(r.p95) : QVariant(ms(r.p95));
        case P99: return role == Qt::EditRole ? QVariant(r.p99) : QVariant(ms(r.p99));
        case Action: return {};
        }
    }
    if (role == Qt::BackgroundRole) {
        if (index.column() == Health && healthColor(r.healthVerdict).isValid())
            return QBrush(healthColor(r.healthVerdict));
        if (index.column() == State)
            return QBrush(stateColor(r.state));
        if (r.state == RowState::Stopped || r.state == RowState::Down || r.state == RowState::Unhealthy)
            return QBrush(QColor(0xfb, 0xe3, 0xe3)); // the whole row reads red
    }
    if (role == HealthVerdictRole && index.column() == Health)
        return int(r.healthVerdict);
    if (role == Qt::ForegroundRole && index.column() == Errors && r.errors > 0)
        return QBrush(QColor(0xb0, 0x20, 0x20));
    if (role == Qt::TextAlignmentRole && index.column() >= Weight && index.column() <= P99)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        if (index.column() == State)
            return r.passiveCause.isEmpty() ? stateExplanation(r.state)
                                            : r.passiveCause + u'\n' + stateExplanation(r.state);
        if (index.column() == Health)
            return r.healthDetail;
        if (index.column() == Address) // elided in a narrow window
            return r.address;
        if (index.column() == Name) // the cell may be elided: the tooltip has it whole
            return tr("%1 (%2, %3)").arg(r.name, r.address, r.embedded ? tr("embedded") : tr("external"));
        if (index.column() == Queue && r.embedded)
            return queueExplanation(r);
        if (index.column() == Weight)
            return tr("Click to change the weight (%1-%2); it applies to the next pick.")
                .arg(schema::rangeOf(&BackendConfig::weight).min)
                .arg(schema::rangeOf(&BackendConfig::weight).max);
        return headerData(index.column(), Qt::Horizontal, Qt::ToolTipRole);
    }
    return {};
}

Qt::ItemFlags BackendTableModel::flags(const QModelIndex& index) const
{
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.isValid() && index.column() == Weight)
        f |= Qt::ItemIsEditable;
    return f;
}

bool BackendTableModel::setData(const QModelIndex& index, const QVariant& value, int role)
{
    if (role != Qt::EditRole ||
        !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) ||
        index.column() != Weight)
        return false;
    bool ok = false;
    const int w = value.toInt(&ok);
    if (!ok || !schema::rangeOf(&BackendConfig::weight).contains(w))
        return false;
    m_lab->setWeight(m_rows[index.row()].id, w); // emits backendStateChanged -> refreshState -> dataChanged
    return true;
}

QVariant BackendTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case State: return tr("State");
        case Health: return tr("Health");
        case Name: return tr("Name");
        case Address: return tr("Address");
        // Short headers: a 1024 px window shows every column (each header's tooltip says it in full).
        case Weight: return tr("Wt");
        case Active: return tr("Act");
        case Queue: return tr("Queue");
        case Connections: return tr("Conn");
        case Requests: return tr("Reqs");
        case Rate: return tcpOnly() ? tr("Conn/s") : tr("Req/s");
        case Errors: return tr("Err");
        case P50: return tr("p50");
        case P95: return tr("p95");
        case P99: return tr("p99");
        case Action: return tr("Action");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case State: return tr("Whether the proxy sends this backend requests, and if not, why.");
        case Health:
            return tr("The active probes' verdict, and how far it is toward flipping (fall failures / rise passes).");
        case Name: return tr("The backend's name; proxied responses carry it in the X-Served-By header.");
        case Address: return tr("Where the backend listens (host:port).");
        case Weight: return tr("Weight: relative share of traffic for weighted algorithms; click a cell to edit.");
        case Active: return tr("Active: requests the proxy has in flight on this backend right now.");
        case Queue:
            return tr("An embedded backend's requests waiting for a worker / the most that may wait (its Workers "
                      "and queue knobs).");
        case Connections:
            return tr("Connections: TCP connections the proxy holds open to it, busy or idle keep-alive.");
        case Requests:
            return tr("Requests the proxy has sent to it since the last Reset (each retry counts once more).");
        case Rate:
            return tcpOnly() ? tr("New connections relayed per second over the last second (a TCP listener relays "
                                  "bytes, not requests).")
                             : tr("Requests per second over the last second.");
        case Errors:
            return tr("Errors: attempts at this backend since the last Reset that got a 5xx or no answer (refused, "
                      "reset, timed out), retried ones included: a request the proxy then retried elsewhere and "
                      "served counts here, but not in the status bar, which counts what clients got.");
        case P50: return tr("Median latency in ms over the last 10 s (or since Reset): half the requests were faster.");
        case P95:
            return tr("95th percentile latency in ms over the last 10 s (or since Reset): 1 request in 20 was slower.");
        case P99:
            return tr("99th percentile latency in ms over the last 10 s (or since Reset): the tail 1 in 100 sees.");
        case Action: return tr("Start or stop an embedded backend (Stop closes its port).");
        }
    }
    return {};
}

} // namespace lab
