#include "MainWindow.h"

// The status bar: what clients got, split by who answered, in words that fit.

#include "backend/Backend.h"
#include "lab/Lab.h"
#include "proxy/Proxy.h"

#include <QFileInfo>
#include <QLabel>
#include <QStatusBar>

namespace lab {

namespace {
// The status line in short words ("backend 5xx 0 · no response 0 · by proxy 3 (5xx 3, 429: 0)"), for a bar
// too narrow for it. Both 5xx keep who sent them: a bare "5xx 0" beside the proxy's 503s read as "no 5xx".
QString compactStatusText(QString text)
{
    const std::pair<QString, QString> shorter[] = {
        {MainWindow::tr(" requests · "), MainWindow::tr(" req · ")},
        {MainWindow::tr(" req/s (last second)"), MainWindow::tr("/s")},
        {MainWindow::tr("5xx from backends "), MainWindow::tr("backend 5xx ")},
        {MainWindow::tr("4xx from backends "), MainWindow::tr("backend 4xx ")},
        {MainWindow::tr("failed (no response) "), MainWindow::tr("no response ")},
        {MainWindow::tr("answered by the proxy "), MainWindow::tr("by proxy ")},
        {MainWindow::tr("429 rate-limited "), MainWindow::tr("429: ")},
        {MainWindow::tr("client connections "), MainWindow::tr("clients ")},
        {MainWindow::tr("to backends "), MainWindow::tr("upstream ")},
    };
    for (const auto& [long_, short_] : shorter)
        text.replace(long_, short_);
    return text;
}

QString counted(quint64 n, const QString& one, const QString& many)
{
    return QStringLiteral("%1 %2").arg(n).arg(n == 1 ? one : many);
}
} // namespace

// What clients got, split by who answered, so each figure matches the check or the board it is compared
// with: "5xx from backends" is the lesson's 5xx minus the proxy's own; the board's Err counts attempts
// (retried ones too) at one backend, so it may be higher than what any client saw.
QString MainWindow::trafficStatusText(const TrafficStats& l, const MetricsSnapshot& latest, double requestsPerSecond)
{
    qint64 toBackends = 0;
    for (const BackendStats& b : latest.backends)
        toBackends += b.traffic.activeConnections;
    return tr("%1 · %2 req/s (last second) · 5xx from backends %3 · 4xx from backends %4 · failed (no response) %5 · "
              "answered by the proxy %6 (5xx %7, 429 rate-limited %8) · client connections %9 · to backends %10")
        .arg(counted(l.requests, tr("request"), tr("requests")))
        .arg(requestsPerSecond, 0, 'f', 0)
        .arg(l.backend5xx())
        .arg(l.backend4xx())
        .arg(l.responsesByClass[0])
        .arg(l.answeredByProxy)
        .arg(l.answeredByProxy5xx)
        .arg(l.rateLimited)
        .arg(l.activeConnections)
        .arg(toBackends);
}

QString MainWindow::trafficStatusTip()
{
    return tr("Since the last Reset, what the clients got:\n"
              "• 5xx from backends: 5xx responses a backend sent and the proxy passed on (the lesson's 5xx check "
              "counts these plus the proxy's own 5xx).\n"
              "• 4xx from backends: 4xx responses a backend sent and the proxy passed on (a 404 for a page that "
              "backend does not have, say); the proxy's own 400/408/429/431 are under 'answered by the proxy'.\n"
              "• failed (no response): requests that ended without any response, e.g. the client closed while its "
              "request was in flight or held.\n"
              "• answered by the proxy: responses the proxy wrote itself without a backend's answer: 429 from the "
              "rate limiter, 503 when no backend is eligible, every backend missed or a step-mode hold timed out, "
              "400/408/431 for bad requests, 502/504 after the attempts failed. Its 5xx are counted apart: they "
              "are not among the 5xx from backends.\n"
              "The board's Err counts attempts at each backend, retried ones too: a retry that then succeeded "
              "elsewhere shows there but not here.\n"
              "Client connections: open now from clients to the proxy. To backends: open now from the proxy to "
              "the backends, busy or idle keep-alive (the board's Conn), which stay open after the traffic stops.");
}

QString MainWindow::statusText() const
{
    return m_statusFull;
}

void MainWindow::updateStatus()
{
    QStringList listeners;
    for (size_t i = 0; i < m_lab->proxies().size(); ++i) {
        const Proxy* p = m_lab->proxies()[i].get();
        const QString kind = p->settings().kind == ListenerKind::Tcp ? QStringLiteral("tcp")
            : p->settings().tls                                      ? QStringLiteral("https")
                                                                     : QStringLiteral("http");
        listeners << (p->isListening() ? tr("%1 %2:%3").arg(kind, p->settings().address.toString()).arg(p->port())
                          : p->isStopping()
                          ? tr("%1 stopping: %2 in flight finishing").arg(kind).arg(p->activeExchanges())
                          : tr("%1 stopped").arg(kind));
    }
    if (listeners.isEmpty())
        listeners << tr("no proxy running");
    if (!m_lab->hasHttpListener())
        listeners << tr("no HTTP listener (console and traffic need one)");
    QString text = tr("%1 · %2").arg(listeners.join(QStringLiteral(", ")), m_lab->config().algorithm);
    if (!m_history.isEmpty())
        text += QStringLiteral(" · ") +
            trafficStatusText(m_history.sinceBaseline(-1), m_history.latest(), m_history.requestRate(-1, 1000));
    if (!m_currentFile.isEmpty())
        text += tr(" · %1").arg(QFileInfo(m_currentFile).fileName());
    // Too long for the bar (1024 px): the short words, rather than ending "… client c" (trial 5); the
    // tooltip and statusText() keep the long ones.
    m_statusFull = text;
    if (m_status->fontMetrics().horizontalAdvance(text) > m_status->width())
        text = compactStatusText(text);
    if (text != m_status->text())
        m_status->setText(text);
}

void MainWindow::showMessage(const QString& text)
{
    statusBar()->showMessage(text, 10000);
    m_lab->events().append(LabEvent::Kind::Config, text);
}

} // namespace lab
