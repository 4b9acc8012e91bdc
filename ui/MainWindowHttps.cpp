// The proxy bar's HTTPS button: a learner tries HTTPS on the lab at once, without writing a file. The
// first click makes (or reuses) a self-signed localhost certificate in the application's data directory
// and adds an HTTPS listener on a free loopback port beside the HTTP one, through the same live reload as
// File > Reload (nothing in flight is dropped); the message says the curl command that trusts it. Later
// clicks say it again and offer to stop HTTPS (the listener goes the same way). File > Save writes the
// listener with its port, so it stays part of the lab.
#include "MainWindow.h"
#include "ProxyPanel.h"
#include "config/TlsCredentials.h"
#include "lab/Lab.h"
#include "proxy/Proxy.h"
#include "proxy/SelfSignedCertificate.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTcpServer>

namespace lab {

namespace {

// The lab's first listener that terminates TLS, or null.
const ListenerConfig* tlsListener(const LabConfig& c)
{
    for (const ListenerConfig& l : c.listeners)
        if (l.kind == ListenerKind::Http && l.tls.enabled())
            return &l;
    return nullptr;
}

// A listener name the lab does not use yet: "https", else "https-2", "https-3", ...
QString freeListenerName(const LabConfig& c)
{
    for (int n = 1;; ++n) {
        const QString name = n == 1 ? QStringLiteral("https") : QStringLiteral("https-%1").arg(n);
        bool used = false;
        for (const ListenerConfig& l : c.listeners)
            used = used || l.name == name;
        if (!used)
            return name;
    }
}

// DIR/cert.pem and DIR/key.pem when they load and stay valid for another week; else a new pair there.
bool certificatePair(const QString& dir, QString* cert, QString* key, QString* error)
{
    *cert = QDir(dir).filePath(QStringLiteral("cert.pem"));
    *key = QDir(dir).filePath(QStringLiteral("key.pem"));
    TlsCredentials existing;
    QString ignored;
    if (QFileInfo::exists(*cert) && TlsCredentials::load(*cert, *key, &existing, &ignored) &&
        existing.chain.first().expiryDate() > QDateTime::currentDateTimeUtc().addDays(7))
        return true;
    SelfSignedCertificate made;
    return SelfSignedCertificate::write(dir, &made, error);
}

// `preferred` (8443, HTTPS's usual port for a second server) when it is free on `address`; else one the
// system says is free. A number, never 0, so the lab file saved afterwards names the port the curl
// command used.
int freeHttpsPort(const QString& address, int preferred)
{
    QTcpServer probe;
    if (preferred > 0 && probe.listen(QHostAddress(address), quint16(preferred)))
        return preferred;
    return probe.listen(QHostAddress(address), 0) ? probe.serverPort() : 0;
}

// `path` as one word of a shell command line ("…/Balancer Lab/…" has a space).
QString shellWord(const QString& path)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_./:@%+=-]+$"));
    if (plain.match(path).hasMatch())
        return path;
    QString quoted = path;
    quoted.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}

} // namespace

QString MainWindow::httpsDirectory()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation)).filePath(QStringLiteral("tls"));
}

bool MainWindow::serveHttps(QString* error)
{
    QString why;
    if (!tlsListener(m_lab->config())) {
        QString cert;
        QString key;
        if (certificatePair(httpsDirectory(), &cert, &key, &why)) {
            LabConfig next = m_lab->config();
            const QString address = QStringLiteral("127.0.0.1");
            next.listeners << ListenerConfig{freeListenerName(next), ListenerKind::Http, address,
                                             freeHttpsPort(address, m_preferredHttpsPort), TlsConfig{cert, key}};
            QString summary; // the lab's event log has the line already
            if (m_lab->reload(next, &summary, &why))
                statusBar()->showMessage(summary, 10000);
        }
    }
    const ListenerConfig* l = tlsListener(m_lab->config());
    const Proxy* p = nullptr; // the first one terminating TLS, as l is the first TLS listener
    for (const auto& proxy : m_lab->proxies())
        if (!p && proxy->settings().tls)
            p = proxy.get();
    if (why.isEmpty() && !(p && p->isListening()))
        why = l ? tr("the HTTPS listener %1 is not listening (Start proxy starts it)").arg(l->name)
                : tr("no HTTPS listener");
    if (!why.isEmpty()) {
        if (error)
            *error = why;
        if (isVisible())
            QMessageBox::warning(this, tr("Cannot serve HTTPS"), why);
        showMessage(tr("HTTPS: %1").arg(why));
        return false;
    }
    const QString url = QStringLiteral("https://localhost:%1/").arg(p->port());
    const QString curl =
        QStringLiteral("curl --cacert %1 %2").arg(shellWord(QDir::toNativeSeparators(l->tls.cert)), url);
    const QString text =
        tr("The lab serves HTTPS on %1 (listener %2), beside HTTP, with a self-signed certificate for localhost, "
           "127.0.0.1 and ::1: no authority vouches for it, so a client trusts it only when told to.\n\n"
           "Try it, trusting only that certificate:\n  %3\n\n"
           "The backends see X-Forwarded-Proto: https. File > Save keeps the listener in the lab file; Stop HTTPS "
           "removes it (requests in flight finish).")
            .arg(url, l->name, curl);
    showMessage(tr("HTTPS on %1: %2").arg(url, curl));
    if (isVisible()) {
        QMessageBox box(QMessageBox::Information, tr("HTTPS"), text, QMessageBox::Close, this);
        box.setTextInteractionFlags(Qt::TextSelectableByMouse);
        QPushButton* stop = box.addButton(tr("Stop HTTPS"), QMessageBox::DestructiveRole);
        box.exec();
        if (box.clickedButton() == stop)
            return stopHttps(error);
    }
    return true;
}

bool MainWindow::stopHttps(QString* error)
{
    LabConfig next = m_lab->config();
    QStringList removed;
    for (qsizetype i = next.listeners.size() - 1; i >= 0; --i) {
        if (next.listeners[i].kind == ListenerKind::Http && next.listeners[i].tls.enabled())
            removed.prepend(next.listeners.takeAt(i).name);
    }
    QString why;
    QString summary;
    if (removed.isEmpty())
        why = tr("no HTTPS listener to stop");
    else if (m_lab->reload(next, &summary, &why))
        statusBar()->showMessage(summary, 10000); // the lab's event log has the line already
    if (why.isEmpty())
        return true;
    if (error)
        *error = why;
    showMessage(tr("HTTPS: %1").arg(why));
    return false;
}

} // namespace lab
