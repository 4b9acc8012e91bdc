// TLS termination (issue 17): the lab's self-signed certificate, HTTPS through the proxy with a Qt client
// (TLS 1.2 and 1.3, ALPN) and with curl, bodies both ways through the terminator's pump, plain HTTP and bad
// handshakes on the TLS port, bad certificate or key files refused with the file named, and what a TLS
// client's request carries to a backend (its own address, X-Forwarded-Proto: https) and is picked and
// limited by.
#include "RecordingBackend.h"
#include "TestHttp.h"
#include "TestLab.h"

#include "backend/BackendPool.h"
#include "config/LabConfig.h"
#include "config/TlsCredentials.h"
#include "metrics/Lifecycle.h"
#include "metrics/RequestTrace.h"
#include "proxy/Proxy.h"
#include "proxy/SelfSignedCertificate.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QSslSocket>
#include <QTcpSocket>
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

// A proxy on port 0 in front of `count` recording backends, its listener terminating TLS (or not, for
// the plain-HTTP control), two workers: what each backend saw is the test's evidence.
struct RecordingRig {
    RecordingRig(const LabConfig& lab, bool tls, int count, const QString& algorithm, const RateLimitConfig& limit = {})
    {
        ListenerConfig listener = lab.listeners.first();
        if (!tls)
            listener.tls = {};
        ProxySettings s = ProxySettings::fromConfig(lab, listener);
        s.port = 0;
        s.workers = 2;
        s.rateLimit = limit;
        QList<BackendConfig> configs;
        for (int i = 0; i < count; ++i) {
            backends.push_back(std::make_unique<RecordingBackend>());
            configs.append({QStringLiteral("rec-%1").arg(i),
                            QStringLiteral("127.0.0.1"),
                            backends.back()->port(),
                            1,
                            false,
                            {},
                            {}});
        }
        pool = std::make_shared<BackendPool>(configs, algorithm);
        proxy = std::make_unique<Proxy>(s, pool);
        ok = proxy->start();
    }
    // Every request the backends saw, with the index of the one that saw it.
    QList<std::pair<int, RecordingBackend::Request>> seen() const
    {
        QList<std::pair<int, RecordingBackend::Request>> all;
        for (size_t i = 0; i < backends.size(); ++i) {
            for (const RecordingBackend::Request& r : backends[i]->requests())
                all.append({int(i), r});
        }
        return all;
    }
    std::vector<std::unique_ptr<RecordingBackend>> backends;
    std::shared_ptr<BackendPool> pool;
    std::unique_ptr<Proxy> proxy;
    bool ok = false;
};

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

    // One GET over TLS from a socket bound to `source` (all of 127/8 is loopback): the status, 0 when no
    // response came, negative when the connection or the handshake failed.
    int tlsGetFrom(const QString& source, quint16 port, const QByteArray& path, const QByteArray& extraHeaders = {})
    {
        QSslSocket s;
        prepareClient(s, QSsl::TlsV1_2OrLater);
        if (!s.bind(QHostAddress(source), 0))
            return -1;
        s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port, QStringLiteral("localhost"));
        if (!s.waitForEncrypted(10000))
            return -2;
        s.write(getRequest(path, extraHeaders));
        const std::optional<TlsResponse> r = readResponse(s);
        return r ? r->status : 0;
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

    // Behind a TLS listener a backend learns who the client is and that it came over HTTPS, exactly as
    // behind a plain one it learns the address and http; what a client claims in those headers is not
    // believed (its X-Forwarded-Proto is replaced, its X-Forwarded-For is kept in front of the address).
    // The trace and the flow view name the client too. (The session used to take both from its socket,
    // the terminator's socketpair: X-Forwarded-For 0.0.0.0, X-Forwarded-Proto http.)
    void tlsClientsAddressAndProtoReachTheBackend_data()
    {
        QTest::addColumn<bool>("tls");
        QTest::addColumn<QByteArray>("proto");
        QTest::newRow("https listener") << true << QByteArray("https");
        QTest::newRow("http listener") << false << QByteArray("http");
    }

    void tlsClientsAddressAndProtoReachTheBackend()
    {
        QFETCH(bool, tls);
        QFETCH(QByteArray, proto);
        RecordingRig rig(tlsLab(), tls, 1, QStringLiteral("round-robin"));
        QVERIFY(rig.ok);
        const QString source = QStringLiteral("127.0.0.7");
        const QByteArray headers = "X-Lab-Trace: who\r\nX-Forwarded-Proto: ftp\r\nX-Forwarded-For: 10.9.8.7\r\n";
        if (tls) {
            QCOMPARE(tlsGetFrom(source, rig.proxy->port(), "/whoami", headers), 200);
        } else {
            QTcpSocket s;
            QVERIFY(s.bind(QHostAddress(source), 0));
            s.connectToHost(QHostAddress::LocalHost, rig.proxy->port());
            QVERIFY(s.waitForConnected(10000));
            s.write(getRequest("/whoami", headers));
            QByteArray in;
            while (!in.contains("\r\n\r\n") && s.waitForReadyRead(10000))
                in += s.readAll();
            QVERIFY2(in.startsWith("HTTP/1.1 200"), in.constData());
        }
        QTRY_COMPARE(rig.backends[0]->requests().size(), 1);
        const http::HttpHead head = rig.backends[0]->requests().first().head;
        QCOMPARE(head.header("X-Forwarded-For"), QByteArray("10.9.8.7, 127.0.0.7"));
        QCOMPARE(head.header("X-Forwarded-Proto"), proto);
        const auto protos = std::count_if(head.headers.cbegin(), head.headers.cend(), [](const http::HttpHeader& h) {
            return h.name.compare("X-Forwarded-Proto", Qt::CaseInsensitive) == 0;
        });
        QCOMPARE(protos, 1);

        std::optional<TraceEntry> entry;
        QTRY_VERIFY((entry = rig.proxy->trace().findToken(QStringLiteral("who"))).has_value());
        QCOMPARE(entry->client, source);
        QCOMPARE(entry->status, 200);
        bool arrivedFromSource = false;
        for (const LifecycleEvent& e : rig.proxy->lifecycle().since(0).events) {
            if (e.kind == LifecycleKind::Arrived)
                arrivedFromSource = e.detail == QStringLiteral("GET /whoami from 127.0.0.7");
        }
        QVERIFY(arrivedFromSource);
    }

    // ip-hash keys on the TLS client's address: each address keeps its backend, and twelve addresses do
    // not all land on one (as they did when every TLS client was 0.0.0.0 to the pick).
    void ipHashKeysOnTheTlsClientsAddress()
    {
        RecordingRig rig(tlsLab(), true, 3, QStringLiteral("ip-hash"));
        QVERIFY(rig.ok);
        constexpr int kAddresses = 12;
        for (int round = 0; round < 2; ++round) {
            for (int a = 1; a <= kAddresses; ++a)
                QCOMPARE(tlsGetFrom(QStringLiteral("127.0.0.%1").arg(a), rig.proxy->port(), "/"), 200);
        }
        QTRY_COMPARE(rig.seen().size(), 2 * kAddresses);
        QHash<QByteArray, QSet<int>> backendsOf; // client address (as forwarded) -> backends that saw it
        QSet<int> used;
        for (const auto& [backend, request] : rig.seen()) {
            backendsOf[request.head.header("X-Forwarded-For")].insert(backend);
            used.insert(backend);
        }
        QCOMPARE(backendsOf.size(), kAddresses);
        for (auto it = backendsOf.cbegin(); it != backendsOf.cend(); ++it)
            QVERIFY2(it.value().size() == 1, it.key().constData()); // one address, one backend
        QVERIFY2(used.size() > 1, "every TLS client was hashed to one backend");
    }

    // The rate limiter counts per TLS client: one address spends its burst and gets 429, another is served.
    void rateLimitKeysOnTheTlsClientsAddress()
    {
        RateLimitConfig limit;
        limit.requestsPerSecond = 0.1;
        limit.burst = 1;
        limit.key = QStringLiteral("client");
        RecordingRig rig(tlsLab(), true, 1, QStringLiteral("round-robin"), limit);
        QVERIFY(rig.ok);
        QCOMPARE(tlsGetFrom(QStringLiteral("127.0.0.21"), rig.proxy->port(), "/a"), 200);
        QCOMPARE(tlsGetFrom(QStringLiteral("127.0.0.21"), rig.proxy->port(), "/a"), 429);
        QCOMPARE(tlsGetFrom(QStringLiteral("127.0.0.22"), rig.proxy->port(), "/b"), 200);
        QTRY_COMPARE(rig.backends[0]->requests().size(), 2);
        QCOMPARE(rig.proxy->snapshot().listener.rateLimited, quint64(1));
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
