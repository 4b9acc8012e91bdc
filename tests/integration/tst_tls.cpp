// TLS termination (issue 17): the lab's self-signed certificate, HTTPS through the proxy with a Qt client
// (TLS 1.2 and 1.3, ALPN) and with curl, bodies both ways through the terminator's pump, plain HTTP and bad
// handshakes on the TLS port, and bad certificate or key files refused with the file named.
#include "TestHttp.h"
#include "TestLab.h"

#include "config/LabConfig.h"
#include "config/TlsCredentials.h"
#include "proxy/Proxy.h"
#include "proxy/SelfSignedCertificate.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>
#include <optional>

using namespace lab;
using namespace lab::test;

namespace {

// One HTTP/1.1 exchange over an encrypted socket: the response head and a Content-Length body.
struct TlsResponse {
    int status = 0;
    QByteArray head;
    QByteArray body;
};

std::optional<TlsResponse> readResponse(QSslSocket& s, int timeoutMs = 10000)
{
    QByteArray data;
    QElapsedTimer t;
    t.start();
    qsizetype headEnd = -1;
    qint64 length = -1;
    while (t.elapsed() < timeoutMs) {
        if (s.bytesAvailable() == 0 && !s.waitForReadyRead(200) && s.state() != QAbstractSocket::ConnectedState)
            break;
        data += s.readAll();
        if (headEnd < 0 && (headEnd = data.indexOf("\r\n\r\n")) >= 0) {
            for (const QByteArray& line : data.left(headEnd).split('\n')) {
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            }
        }
        if (headEnd >= 0 && length >= 0 && data.size() >= headEnd + 4 + length) {
            TlsResponse r;
            r.head = data.left(headEnd);
            r.status = r.head.mid(9, 3).toInt();
            r.body = data.mid(headEnd + 4, length);
            return r;
        }
    }
    return std::nullopt;
}

} // namespace

class TestTls : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    SelfSignedCertificate m_cert;

    LabConfig tlsLab() const
    {
        LabConfig c = freePortLab();
        c.listeners.first().tls = {m_cert.certFile, m_cert.keyFile};
        c.health.intervalMs = 200;
        return c;
    }

    // A client that trusts only the lab's certificate and checks the name "localhost".
    void prepareClient(QSslSocket& s, QSsl::SslProtocol protocol) const
    {
        QSslConfiguration c = s.sslConfiguration();
        c.setCaCertificates(QSslCertificate::fromPath(m_cert.certFile));
        c.setProtocol(protocol);
        c.setAllowedNextProtocols({QByteArrayLiteral("h2"), QByteArrayLiteral("http/1.1")});
        s.setSslConfiguration(c);
    }

    QString writeFile(const QString& name, const QByteArray& data) const
    {
        QFile f(m_dir.filePath(name));
        f.open(QIODevice::WriteOnly);
        f.write(data);
        return m_dir.filePath(name);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY(QSslSocket::supportsSsl());
        QString error;
        QVERIFY2(SelfSignedCertificate::write(m_dir.path(), &m_cert, &error), qPrintable(error));
    }

    void selfSignedCertificateNamesLocalhost()
    {
        const QList<QSslCertificate> certs = QSslCertificate::fromPath(m_cert.certFile);
        QCOMPARE(certs.size(), 1);
        const auto names = certs.first().subjectAlternativeNames();
        QVERIFY(names.values(QSsl::DnsEntry).contains(QStringLiteral("localhost")));
        QVERIFY(names.values(QSsl::IpAddressEntry).contains(QStringLiteral("127.0.0.1")));
        QVERIFY(names.values(QSsl::IpAddressEntry).contains(QStringLiteral("0:0:0:0:0:0:0:1")) ||
                names.values(QSsl::IpAddressEntry).contains(QStringLiteral("::1")));
        QVERIFY(certs.first().expiryDate() > QDateTime::currentDateTimeUtc().addDays(300));
        // The key stays with its owner.
        QCOMPARE(QFile::permissions(m_cert.keyFile) & (QFile::ReadGroup | QFile::ReadOther), QFile::Permissions{});
        TlsCredentials loaded;
        QString error;
        QVERIFY2(TlsCredentials::load(m_cert.certFile, m_cert.keyFile, &loaded, &error), qPrintable(error));
        QCOMPARE(loaded.key.algorithm(), QSsl::Ec);
    }

    void qtClientOverTls_data()
    {
        QTest::addColumn<int>("protocol"); // a QSsl::SslProtocol
        QTest::newRow("TLS 1.2") << int(QSsl::TlsV1_2);
        QTest::newRow("TLS 1.3") << int(QSsl::TlsV1_3);
    }

    void qtClientOverTls()
    {
        QFETCH(int, protocol);
        RunningLab lab(tlsLab());
        QSslSocket s;
        prepareClient(s, QSsl::SslProtocol(protocol));
        s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), lab.port(), QStringLiteral("localhost"));
        QVERIFY2(s.waitForEncrypted(10000), qPrintable(s.errorString()));
        QCOMPARE(int(s.sessionProtocol()), protocol);
        QCOMPARE(s.sslConfiguration().nextNegotiatedProtocol(), QByteArrayLiteral("http/1.1"));
        QSet<QByteArray> servedBy;
        for (int i = 0; i < 6; ++i) { // keep-alive: every request on the one TLS connection
            s.write(getRequest("/hello"));
            const std::optional<TlsResponse> r = readResponse(s);
            QVERIFY2(r, "no response over TLS");
            QCOMPARE(r->status, 200);
            for (const QByteArray& line : r->head.split('\n')) {
                if (line.toLower().startsWith("x-served-by:"))
                    servedBy.insert(line.mid(12).trimmed());
            }
        }
        QCOMPARE(servedBy.size(), 3); // round robin over the three backends, all behind one TLS connection
        QCOMPARE(s.state(), QAbstractSocket::ConnectedState);
        QTRY_COMPARE(lab.lab.httpProxy()->tlsStats().handshakes, quint64(1));
        QCOMPARE(lab.lab.httpProxy()->tlsStats().failedHandshakes, quint64(0));
    }

    // A body larger than every buffer on the way goes up and comes back (the fake backend echoes POSTs):
    // the pump's backpressure both ways loses and reorders nothing.
    void largeBodiesBothWays()
    {
        RunningLab lab(tlsLab());
        QSslSocket s;
        prepareClient(s, QSsl::TlsV1_2OrLater);
        s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), lab.port(), QStringLiteral("localhost"));
        QVERIFY2(s.waitForEncrypted(10000), qPrintable(s.errorString()));
        QByteArray body(3 * 1024 * 1024, Qt::Uninitialized);
        for (qsizetype i = 0; i < body.size(); ++i)
            body[i] = char('a' + (i * 7 + i / 4096) % 26);
        s.write(postRequest("/echo", body));
        const std::optional<TlsResponse> r = readResponse(s, 60000);
        QVERIFY2(r, "no echo over TLS");
        QCOMPARE(r->status, 200);
        QVERIFY2(r->body.contains(body.left(4096)), "the echo lacks the start of the body");
        QVERIFY(r->body.size() >= body.size());
    }

    // curl with each version pinned (--tlsv1.2 --tls-max 1.2, --tlsv1.3) and with its default: the version
    // and ALPN it reports in its verbose output, and the certificate verified.
    void curlOverTls_data()
    {
        QTest::addColumn<QStringList>("versionArgs");
        QTest::addColumn<QString>("version"); // as curl -v names it
        QTest::newRow("default") << QStringList() << QStringLiteral("TLSv1.3");
        QTest::newRow("TLS 1.2") << QStringList{QStringLiteral("--tlsv1.2"), QStringLiteral("--tls-max"),
                                                QStringLiteral("1.2")}
                                 << QStringLiteral("TLSv1.2");
        QTest::newRow("TLS 1.3") << QStringList{QStringLiteral("--tlsv1.3")} << QStringLiteral("TLSv1.3");
    }

    void curlOverTls()
    {
        QFETCH(QStringList, versionArgs);
        QFETCH(QString, version);
        RunningLab lab(tlsLab());
        QProcess curl;
        const QString port = QString::number(lab.port());
        curl.start(QStringLiteral("curl"),
                   versionArgs +
                       QStringList{QStringLiteral("-sSv"), QStringLiteral("--cacert"), m_cert.certFile,
                                   QStringLiteral("--resolve"), QStringLiteral("localhost:%1:127.0.0.1").arg(port),
                                   QStringLiteral("-w"), QStringLiteral("\n%{http_code} %{ssl_verify_result}"),
                                   QStringLiteral("https://localhost:%1/hello").arg(port)});
        QVERIFY2(curl.waitForFinished(30000), "curl did not finish");
        const QByteArray out = curl.readAllStandardOutput();
        const QString err = QString::fromUtf8(curl.readAllStandardError());
        QVERIFY2(curl.exitCode() == 0, qPrintable(err));
        QVERIFY2(out.endsWith("\n200 0"), out.constData()); // 200, and the certificate verified
        QVERIFY(out.contains("backend-"));
        QVERIFY2(err.contains(QStringLiteral("SSL connection using %1 /").arg(version)), qPrintable(err));
        QVERIFY2(err.contains(QStringLiteral("ALPN: server accepted http/1.1")), qPrintable(err));
    }

    // `balancer-lab cert --out DIR` writes a pair that a lab serves and curl trusts with --cacert alone.
    void certCommandMakesAPairCurlTrusts()
    {
        const QString dir = m_dir.filePath(QStringLiteral("from-cli"));
        QProcess cert;
        cert.start(QStringLiteral(LAB_BINARY), {QStringLiteral("cert"), QStringLiteral("--out"), dir});
        QVERIFY(cert.waitForFinished(30000));
        QVERIFY2(cert.exitCode() == 0, cert.readAllStandardError().constData());
        const QString certFile = dir + QStringLiteral("/cert.pem");
        const QString keyFile = dir + QStringLiteral("/key.pem");
        QVERIFY(cert.readAllStandardOutput().contains(certFile.toUtf8()));
        LabConfig c = freePortLab();
        c.listeners.first().tls = {certFile, keyFile};
        RunningLab lab(c);
        QProcess curl;
        const QString port = QString::number(lab.port());
        curl.start(QStringLiteral("curl"),
                   {QStringLiteral("-sS"), QStringLiteral("--cacert"), certFile, QStringLiteral("--resolve"),
                    QStringLiteral("localhost:%1:127.0.0.1").arg(port), QStringLiteral("-w"),
                    QStringLiteral("\n%{http_code}"), QStringLiteral("https://localhost:%1/").arg(port)});
        QVERIFY2(curl.waitForFinished(30000), "curl did not finish");
        QVERIFY2(curl.exitCode() == 0, curl.readAllStandardError().constData());
        QVERIFY(curl.readAllStandardOutput().endsWith("\n200"));
    }

    // A plain-HTTP client on the TLS port is closed and counted; TLS clients are served before and after.
    void plainHttpToTlsPortIsClosed()
    {
        RunningLab lab(tlsLab());
        TestHttpConnection plain;
        QVERIFY(plain.connectTo(lab.port()));
        QVERIFY(plain.send(getRequest("/")));
        QVERIFY2(plain.waitForClose(10000), "the proxy kept a plain-HTTP connection on its TLS port open");
        QTRY_COMPARE(lab.lab.httpProxy()->tlsStats().failedHandshakes, quint64(1));
        QTRY_VERIFY(lab.eventContains(QStringLiteral("tls: handshake with 127.0.0.1 failed")));
        // A client that does not trust the certificate fails its handshake too: also closed and counted.
        QSslSocket distrustful;
        distrustful.connectToHostEncrypted(QStringLiteral("127.0.0.1"), lab.port(), QStringLiteral("localhost"));
        QVERIFY(!distrustful.waitForEncrypted(10000));
        QTRY_COMPARE(lab.lab.httpProxy()->tlsStats().failedHandshakes, quint64(2));

        QSslSocket s;
        prepareClient(s, QSsl::TlsV1_2OrLater);
        s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), lab.port(), QStringLiteral("localhost"));
        QVERIFY2(s.waitForEncrypted(10000), qPrintable(s.errorString()));
        s.write(getRequest("/"));
        const std::optional<TlsResponse> r = readResponse(s);
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(lab.lab.snapshot().listener.responsesByClass[0], quint64(0)); // nothing failed
    }

    void badFilesAreRefused_data()
    {
        QTest::addColumn<QString>("cert"); // "" = the good one
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("file"); // which file the error names
        QTest::addColumn<QString>("reason");
        const SelfSignedCertificate& good = m_cert;
        QTest::newRow("missing key") << QString() << m_dir.filePath(QStringLiteral("nope.pem"))
                                     << m_dir.filePath(QStringLiteral("nope.pem")) << QStringLiteral("cannot read");
        QTest::newRow("garbage key") << QString() << writeFile(QStringLiteral("garbage.pem"), "not a key\n")
                                     << m_dir.filePath(QStringLiteral("garbage.pem"))
                                     << QStringLiteral("not a PEM private key");
        QTest::newRow("key as cert") << good.keyFile << good.keyFile << good.keyFile
                                     << QStringLiteral("not a PEM certificate");
        SelfSignedCertificate second;
        QString error;
        SelfSignedCertificate::write(m_dir.filePath(QStringLiteral("other")), &second, &error);
        QTest::newRow("another certificate's key")
            << QString() << second.keyFile << second.keyFile << QStringLiteral("does not belong to the certificate");
    }

    void badFilesAreRefused()
    {
        QFETCH(QString, cert);
        QFETCH(QString, key);
        QFETCH(QString, file);
        QFETCH(QString, reason);
        const QString certFile = cert.isEmpty() ? m_cert.certFile : cert;
        const QByteArray json = QStringLiteral(R"({"listeners": [{"port": 0, "tls": {"cert": "%1", "key": "%2"}}],
            "backends": [{"port": 0, "embedded": true}]})")
                                    .arg(certFile, key)
                                    .toUtf8();
        const LabConfigResult r = parseLabConfig(json, QStringLiteral("lab.json"));
        QVERIFY(!r.ok());
        QVERIFY2(r.error.startsWith(QStringLiteral("lab.json: listeners[0].tls: ") + file), qPrintable(r.error));
        QVERIFY2(r.error.contains(reason), qPrintable(r.error));

        // serve says the same and exits 2.
        QProcess serve;
        serve.start(QStringLiteral(LAB_BINARY),
                    {QStringLiteral("serve"), QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
                     QStringLiteral("--tls-cert"), certFile, QStringLiteral("--tls-key"), key});
        QVERIFY(serve.waitForFinished(30000));
        QCOMPARE(serve.exitCode(), 2);
        const QString err = QString::fromUtf8(serve.readAllStandardError());
        QVERIFY2(err.contains(file) && err.contains(reason), qPrintable(err));
    }

    void tlsOnlyOnHttpListeners()
    {
        const QByteArray json = QStringLiteral(R"({"listeners": [{"kind": "tcp", "port": 0,
            "tls": {"cert": "%1", "key": "%2"}}], "backends": [{"port": 0, "embedded": true}]})")
                                    .arg(m_cert.certFile, m_cert.keyFile)
                                    .toUtf8();
        const LabConfigResult r = parseLabConfig(json, QStringLiteral("lab.json"));
        QVERIFY2(r.error.contains(QStringLiteral("listeners[0].tls: only an http listener terminates TLS")),
                 qPrintable(r.error));
    }

    // The config round-trips: File > Save writes the TLS files and a reopened lab serves HTTPS again.
    void savedConfigKeepsTls()
    {
        const LabConfigResult r = parseLabConfig(labConfigToJson(tlsLab()), QStringLiteral("saved.json"));
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.config.listeners.first().tls.cert, m_cert.certFile);
        QCOMPARE(r.config.listeners.first().tls.key, m_cert.keyFile);
    }
};

QTEST_MAIN(TestTls)
#include "tst_tls.moc"
