#pragma once

#include "config/LabConfig.h"

#include <QStringList>

namespace lab {

// What a live reload changes, worked out before anything is touched: the backends that come and go
// (matched by name, the identity everything else uses), those whose settings differ, and one clause per
// changed setting for the event's summary line. Pure: no lab, no sockets; Lab::reload applies it.
//
// Listeners are matched by name too: one only in the new config gets a proxy (started when the lab's run),
// one only in the running config stops (its requests in flight finish) and goes. A listener cannot change
// its kind under the same name (each listener is one Proxy with its workers, HTTP or TCP); such a file is
// refused with `refusal` set and the lab keeps running as it was. Settings
// that a proxy fixes at construction (proxy.workers, limits, connection caps, pool sizes, listen backlog)
// are taken into the config but say "(on the next start)" in the summary.
struct ReloadPlan {
    QStringList added; // backend names only in the new config, in its order
    QStringList removed; // backend names only in the running config
    QStringList reconfigured; // same name, other weight, faults or health checks
    QStringList replaced; // same name, other host, port or embedded: a new backend under the old name
    QStringList listenersAdded; // listener names only in the new config
    QStringList listenersRemoved; // listener names only in the running config
    QStringList clauses; // the summary's parts: "+backend-8004", "algorithm round-robin → least-connections"
    QString refusal; // why this config cannot be applied live; empty when it can

    bool changesNothing() const { return clauses.isEmpty(); }
    // "reload: +backend-8004, -backend-8002, algorithm round-robin → least-connections", or
    // "reload: nothing changed".
    QString summary() const;
};

ReloadPlan planReload(const LabConfig& running, const LabConfig& next);

} // namespace lab
