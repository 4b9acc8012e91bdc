#include "TestLab.h"

#include "loadgen/LoadGenerator.h"
#include "metrics/EventLog.h"
#include "proxy/Proxy.h"

#include <QElapsedTimer>
#include <QTest>

namespace lab::test {

LabConfig freePortLab()
{
    LabConfig c = LabConfig::defaultLab();
    for (ListenerConfig& l : c.listeners)
        l.port = 0;
    for (BackendConfig& b : c.backends)
        b.port = 0;
    return c;
}

BackendId backendAt(const Lab& lab, int position)
{
    return lab.backendIds().value(position);
}

RunningLab::RunningLab(LabConfig config)
    : lab(std::move(config))
{
    lab.setEmbeddedPortBase(0);
    QString error;
    if (!lab.start(&error))
        qFatal("cannot start the test lab: %s", qPrintable(error));
}

quint16 RunningLab::port() const
{
    return lab.proxies().front()->port();
}

bool RunningLab::eventContains(const QString& text) const
{
    for (const LabEvent& e : lab.events().since(0)) {
        if (e.text.contains(text))
            return true;
    }
    return false;
}

bool waitFinished(LoadGenerator& generator, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (generator.isRunning() && t.elapsed() < timeoutMs)
        QTest::qWait(20);
    return !generator.isRunning();
}

} // namespace lab::test
