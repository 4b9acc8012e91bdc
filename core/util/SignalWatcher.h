#pragma once

#include <QObject>

class QSocketNotifier;

namespace lab {

// Turns SIGINT and SIGTERM (and, after watchReload(), SIGHUP) into Qt signals delivered on the thread that
// created the watcher (self-pipe: the handler only writes a byte, everything else runs in the event loop).
class SignalWatcher final : public QObject {
    Q_OBJECT
public:
    explicit SignalWatcher(QObject* parent = nullptr);
    ~SignalWatcher() override;
    Q_DISABLE_COPY_MOVE(SignalWatcher)

    // SIGHUP becomes reloadRequested() instead of ending the process (`serve --config` reloads on it).
    void watchReload();

Q_SIGNALS:
    void terminationRequested(int signalNumber);
    void reloadRequested();

private:
    QSocketNotifier* m_notifier = nullptr;
};

} // namespace lab
