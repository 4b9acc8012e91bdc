#pragma once

#include <QObject>

class QSocketNotifier;

namespace lab {

// Turns SIGINT and SIGTERM into a Qt signal delivered on the thread that created the watcher
// (self-pipe: the handler only writes a byte, everything else runs in the event loop).
class SignalWatcher final : public QObject {
    Q_OBJECT
public:
    explicit SignalWatcher(QObject* parent = nullptr);
    ~SignalWatcher() override;
    Q_DISABLE_COPY_MOVE(SignalWatcher)

Q_SIGNALS:
    void terminationRequested(int signalNumber);

private:
    QSocketNotifier* m_notifier = nullptr;
};

} // namespace lab
