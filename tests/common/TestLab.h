#pragma once

#include "config/LabConfig.h"
#include "lab/Lab.h"

namespace lab {
class LoadGenerator;
}

namespace lab::test {

// The default lab (proxy + three embedded backends) on free ports, so tests never collide with anything.
LabConfig freePortLab();

// The id of the backend at `position` in the lab's order (the board's row); invalid past the end.
// Tests name backends by place ("the second backend"); the lab is addressed only by id.
BackendId backendAt(const Lab& lab, int position);

// A started lab: embedded backends (later ones on free ports too) and every listener. A lab that cannot
// start ends the test binary with the reason.
struct RunningLab {
    explicit RunningLab(LabConfig config = freePortLab());
    quint16 port() const; // the first listener's
    bool eventContains(const QString& text) const;
    BackendId id(int position) const { return backendAt(lab, position); }
    Lab lab;
};

// Runs the event loop until the generator's run is over or timeoutMs passed; true when it is over.
bool waitFinished(LoadGenerator& generator, int timeoutMs);

} // namespace lab::test
