#pragma once

#include <QEvent>
#include <QSocketNotifier>

namespace lab {

// A socket notifier that EpollEventDispatcher calls directly when its descriptor is ready: onReady()
// runs without a QEvent going through QCoreApplication::sendEvent (notifyInternal2, the receiver's
// thread check, event filters: about 0.7 % of a busy worker). Under any other dispatcher it is an
// ordinary QSocketNotifier whose event() calls the same onReady(), so the behaviour is one.
// No event filter on such a notifier sees its activations under the epoll dispatcher; the data path's
// notifiers have none.
class DirectSocketNotifier : public QSocketNotifier {
public:
    using QSocketNotifier::QSocketNotifier;

    // The descriptor is ready for what type() says (or closed, or in error).
    virtual void onReady() = 0;

protected:
    bool event(QEvent* e) override
    {
        if (e->type() != QEvent::SockAct && e->type() != QEvent::SockClose)
            return QSocketNotifier::event(e);
        onReady();
        return true;
    }
};

} // namespace lab
