#pragma once

#include "config/LabConfig.h"
#include "health/CircuitBreaker.h"
#include "health/Eligibility.h"
#include "metrics/Metrics.h"
#include "proxy/TlsStats.h"

#include <QList>
#include <QString>

namespace lab {

class Lab;

// One listener as the admin API reports it: its config, whether it listens, and its own proxy's metrics
// (the lab's snapshot sums every proxy; the API keeps them apart, so a series names its listener).
struct AdminListenerView {
    QString name; // unique within the view (a repeated config name gets "#index")
    ListenerKind kind = ListenerKind::Http;
    QString address;
    int port = 0; // the bound port when listening (a configured 0 becomes the real one)
    bool listening = false;
    MetricsSnapshot metrics; // this listener's proxy only; zeros (with every backend listed) when not started
    qint64 relayBufferedBytes = 0; // TCP listeners: bytes held in user space by the relays now
    bool tls = false; // the listener terminates TLS ("tls" in its config)
    TlsStats tlsStats; // TLS listeners: handshakes, failures by class, connections, bytes
};

// One backend: the operator's config, the verdicts (kept apart, as Backend keeps them) and its counters
// summed over every listener.
struct AdminBackendView {
    QString name;
    QString host;
    int port = 0;
    bool embedded = false;
    bool running = true; // an embedded backend's server is started (external ones: always true)
    bool stopping = false; // a disable (drain, then stop) is under way
    int weight = 1;
    bool enabled = true; // false: draining
    bool healthy = true; // the active probes' verdict
    bool ejected = false; // outlier detection holds it out now
    CircuitBreaker::State breaker = CircuitBreaker::State::Closed;
    Eligibility eligibility = Eligibility::Eligible;
    int inFlight = 0; // requests the proxy has on it now
    int queued = -1; // embedded: waiting for a worker; -1 for an external backend
    int inService = -1;
    QString ejectionCause;
    QString lastFailure;
    TrafficStats traffic;
};

// Everything the admin API shows, read at one moment on the lab's thread from the same sources the window
// reads (Lab::snapshot's per-proxy parts, the pool's atomics): never from a data-path socket. Building
// it costs one metrics snapshot per listener (a sum over the workers' shards) and is done once per request.
struct AdminView {
    qint64 takenAtMs = 0; // steady clock
    QString algorithm;
    QString hashKey;
    bool sticky = false;
    bool panic = false;
    QList<AdminListenerView> listeners;
    QList<AdminBackendView> backends;
};

AdminView collectAdminView(const Lab& lab);

// "closed", "open", "half_open": the label values of balancer_lab_backend_circuit_state.
const char* breakerStateName(CircuitBreaker::State state);

} // namespace lab
