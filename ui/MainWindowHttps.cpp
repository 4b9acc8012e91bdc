// The proxy bar's HTTPS button: a learner tries HTTPS on the lab at once, without writing a file. The
// first click makes (or reuses) a self-signed localhost certificate in the application's data directory
// and adds an HTTPS listener on a free loopback port beside the HTTP one, through the same live reload as
// File > Reload (nothing in flight is dropped); the message says the curl command that trusts it. Later
// clicks say it again. File > Save writes the listener, so it stays part of the lab.
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
#include <QStandardPaths>

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
            next.listeners << ListenerConfig{freeListenerName(next), ListenerKind::Http, QStringLiteral("127.0.0.1"), 0,
                                             TlsConfig{cert, key}};
            QString summary;
            if (m_lab->reload(next, &summary, &why))
                showMessage(summary);
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
    const QString text =
        tr("The lab serves HTTPS on %1 (listener %2), beside HTTP, with a self-signed certificate for localhost, "
           "127.0.0.1 and ::1.\n\nTry it, trusting only that certificate:\n  curl --cacert %3 %1\n\n"
           "The backends see X-Forwarded-Proto: https. File > Save keeps the listener in the lab file.")
            .arg(url, l->name, QDir::toNativeSeparators(l->tls.cert));
    if (isVisible())
        QMessageBox::information(this, tr("HTTPS"), text);
    showMessage(tr("HTTPS on %1: curl --cacert %2 %1").arg(url, l->tls.cert));
    return true;
}

} // namespace lab
