// The HAProxy and nginx exports (core/export): what each lab feature becomes, the traps (nginx ip_hash,
// HAProxy random's weights), and the real validators (haproxy -c, nginx -t) on every built-in lesson's lab
// and every algorithm. Both binaries are installed by scripts/bootstrap.
#include "balancing/AlgorithmNames.h"
#include "export/ConfigExport.h"
#include "export/ExportValidator.h"
#include "proxy/SelfSignedCertificate.h"
#include "teach/Lessons.h"
#include "teach/Scenario.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace lab;

namespace {

// Writes `text` into `dir` and runs the target's validator on it.
ValidationResult validate(ExportFormat format, const QByteArray& text, const QTemporaryDir& dir)
{
    const QString file = dir.filePath(exportFormatName(format) + QStringLiteral(".conf"));
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size())
        return {ValidationResult::Status::Invalid, QStringLiteral("cannot write ") + file};
    f.close();
    return validateExportFile(format, file, dir.path());
}

ExportOptions optionsIn(const QTemporaryDir& dir)
{
    ExportOptions o;
    o.runtimeDir = dir.path();
    return o;
}

LabConfig everythingOn()
{
    LabConfig c = LabConfig::defaultLab();
    c.algorithm = QStringLiteral("weighted-round-robin");
    c.backends[0].weight = 5;
    c.sticky.enabled = true;
    c.health.slowStartMs = 3000;
    c.rateLimit.requestsPerSecond = 2.5;
    c.rateLimit.burst = 5;
    c.rateLimit.key = QStringLiteral("header:X-Api-Key");
    c.proxy.maxConnections = 500;
    c.proxy.maxConnectionsPerClient = 20;
    c.limits.maxBodyBytes = 1 << 20;
    c.retry.retryOn = {QStringLiteral("connect-failure"), QStringLiteral("timeout"), QStringLiteral("5xx"),
                       QStringLiteral("404")};
    c.retry.retryNonIdempotent = true;
    c.proxy.accessLog = true;
    c.listeners << ListenerConfig{QStringLiteral("relay"), ListenerKind::Tcp, QStringLiteral("127.0.0.1"), 8100, {}};
    HealthConfig own = c.health;
    own.intervalMs = 750;
    c.backends[2].health = own;
    return c;
}

} // namespace

class TestConfigExport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void validatorsAcceptEveryAlgorithm_data();
    void validatorsAcceptEveryAlgorithm();
    void validatorsAcceptEveryLessonLab_data();
    void validatorsAcceptEveryLessonLab();
    void everyFeatureValidates_data();
    void everyFeatureValidates();
    void validatorRejectsABrokenFile();
    void mapsAlgorithms_data();
    void mapsAlgorithms();
    void haproxyScalesWeightsForRandom();
    void haproxyMapsHealthRetriesStickySlowStart();
    void nginxWarnsWhatItCannotExpress();
    void nginxMapsRetriesAndRateLimit();
    void retryAvoidRules_data();
    void retryAvoidRules();
    void maglevSaysWhatItBecomes();
    void tlsListenerIsExportedAsTls_data();
    void tlsListenerIsExportedAsTls();
    void adminEndpointIsExported();
};

void TestConfigExport::validatorsAcceptEveryAlgorithm_data()
{
    QTest::addColumn<int>("format");
    QTest::addColumn<QString>("algorithm");
    for (ExportFormat f : {ExportFormat::Haproxy, ExportFormat::Nginx})
        for (const QString& a : algorithmNames())
            QTest::addRow("%s %s", qPrintable(exportFormatName(f)), qPrintable(a)) << int(f) << a;
}

void TestConfigExport::validatorsAcceptEveryAlgorithm()
{
    QFETCH(int, format);
    QFETCH(QString, algorithm);
    QTemporaryDir dir;
    LabConfig c = LabConfig::defaultLab();
    c.algorithm = algorithm;
    c.backends[1].weight = 3;
    for (const QString& key : {QStringLiteral("client"), QStringLiteral("path"), QStringLiteral("header:X-User"),
                               QStringLiteral("cookie:session")}) {
        c.hashKey = key;
        const ExportResult r = exportConfig(ExportFormat(format), c, optionsIn(dir));
        const ValidationResult v = validate(ExportFormat(format), r.text, dir);
        QVERIFY2(v.ok(),
                 qPrintable(key + QStringLiteral(":\n") + v.output + QStringLiteral("\n") + QString::fromUtf8(r.text)));
    }
}

void TestConfigExport::validatorsAcceptEveryLessonLab_data()
{
    QTest::addColumn<int>("format");
    QTest::addColumn<QString>("file");
    const QList<LessonInfo> lessons = builtInLessons();
    QVERIFY(lessons.size() >= 8);
    for (ExportFormat f : {ExportFormat::Haproxy, ExportFormat::Nginx})
        for (const LessonInfo& l : lessons)
            QTest::addRow("%s lesson %d", qPrintable(exportFormatName(f)), l.number) << int(f) << l.file;
}

void TestConfigExport::validatorsAcceptEveryLessonLab()
{
    QFETCH(int, format);
    QFETCH(QString, file);
    const ScenarioResult s = loadScenario(file);
    QVERIFY2(s.ok(), qPrintable(s.error));
    QTemporaryDir dir;
    const ExportResult r = exportConfig(ExportFormat(format), s.scenario.lab, optionsIn(dir));
    const ValidationResult v = validate(ExportFormat(format), r.text, dir);
    QVERIFY2(v.ok(), qPrintable(v.output + QStringLiteral("\n") + QString::fromUtf8(r.text)));
}

void TestConfigExport::everyFeatureValidates_data()
{
    QTest::addColumn<int>("format");
    QTest::newRow("haproxy") << int(ExportFormat::Haproxy);
    QTest::newRow("nginx") << int(ExportFormat::Nginx);
}

void TestConfigExport::everyFeatureValidates()
{
    QFETCH(int, format);
    QTemporaryDir dir;
    ExportOptions o = optionsIn(dir);
    o.metrics = MetricsEndpoint{QStringLiteral("127.0.0.1"), 19090};
    for (const QString& key : {QStringLiteral("client"), QStringLiteral("header:X-Api-Key")}) {
        LabConfig c = everythingOn();
        c.rateLimit.key = key;
        const ExportResult r = exportConfig(ExportFormat(format), c, o);
        const ValidationResult v = validate(ExportFormat(format), r.text, dir);
        QVERIFY2(v.ok(), qPrintable(v.output + QStringLiteral("\n") + QString::fromUtf8(r.text)));
        QVERIFY(r.text.contains(format == int(ExportFormat::Haproxy) ? "prometheus-exporter" : "stub_status"));
    }
}

void TestConfigExport::validatorRejectsABrokenFile()
{
    QTemporaryDir dir;
    for (ExportFormat f : {ExportFormat::Haproxy, ExportFormat::Nginx}) {
        QByteArray text = exportConfig(f, LabConfig::defaultLab(), optionsIn(dir)).text;
        text += "this is not a directive {\n";
        const ValidationResult v = validate(f, text, dir);
        QCOMPARE(v.status, ValidationResult::Status::Invalid);
        QVERIFY(!v.output.isEmpty());
    }
}

void TestConfigExport::mapsAlgorithms_data()
{
    QTest::addColumn<QString>("algorithm");
    QTest::addColumn<QString>("hashKey");
    QTest::addColumn<QString>("haproxy");
    QTest::addColumn<QString>("nginx");
    QTest::newRow("rr") << "round-robin"
                        << "client"
                        << "balance roundrobin"
                        << "default method";
    QTest::newRow("wrr") << "weighted-round-robin"
                         << "client"
                         << "balance roundrobin"
                         << "weight=3";
    QTest::newRow("lc") << "least-connections"
                        << "client"
                        << "balance leastconn"
                        << "least_conn;";
    QTest::newRow("p2c") << "power-of-two-choices"
                         << "client"
                         << "balance random(2)"
                         << "random two least_conn;";
    QTest::newRow("random") << "random"
                            << "client"
                            << "balance random\n"
                            << "random;";
    QTest::newRow("ip-hash") << "ip-hash"
                             << "client"
                             << "hash-type map-based"
                             << "hash $remote_addr consistent;";
    QTest::newRow("ring path") << "ring-hash"
                               << "path"
                               << "balance uri"
                               << "hash $uri consistent;";
    QTest::newRow("ring header") << "ring-hash"
                                 << "header:X-User"
                                 << "balance hdr(X-User)"
                                 << "hash $http_x_user consistent;";
    QTest::newRow("ring cookie") << "ring-hash"
                                 << "cookie:sid"
                                 << "balance hash req.cook(sid)"
                                 << "hash $cookie_sid consistent;";
    QTest::newRow("least-latency") << "least-latency"
                                   << "client"
                                   << "balance leastconn"
                                   << "least_conn;";
}

void TestConfigExport::mapsAlgorithms()
{
    QFETCH(QString, algorithm);
    QFETCH(QString, hashKey);
    QFETCH(QString, haproxy);
    QFETCH(QString, nginx);
    LabConfig c = LabConfig::defaultLab();
    c.algorithm = algorithm;
    c.hashKey = hashKey;
    c.backends[1].weight = 3;
    const QString h = QString::fromUtf8(exportHaproxy(c, {}).text);
    const QString n = QString::fromUtf8(exportNginx(c, {}).text);
    QVERIFY2(h.contains(haproxy), qPrintable(h));
    QVERIFY2(n.contains(nginx), qPrintable(n));
    QVERIFY2(!n.contains(QStringLiteral("ip_hash;")), qPrintable(n)); // the three-octet trap
}

void TestConfigExport::haproxyScalesWeightsForRandom()
{
    LabConfig c = LabConfig::defaultLab();
    c.algorithm = QStringLiteral("power-of-two-choices");
    c.backends[0].weight = 2;
    const QString h = QString::fromUtf8(exportHaproxy(c, {}).text);
    // 256 / 2 = 128 points per unit: weights 2, 1, 1 become 256, 128, 128.
    QVERIFY2(h.contains(QStringLiteral("127.0.0.1:8001 weight 256")), qPrintable(h));
    QVERIFY2(h.contains(QStringLiteral("127.0.0.1:8002 weight 128")), qPrintable(h));
    c.algorithm = QStringLiteral("weighted-round-robin");
    const QString w = QString::fromUtf8(exportHaproxy(c, {}).text);
    QVERIFY2(w.contains(QStringLiteral("127.0.0.1:8001 weight 2 ")), qPrintable(w));
    c.backends[0].weight = 1000;
    const ExportResult big = exportHaproxy(c, {});
    QVERIFY2(big.text.contains("127.0.0.1:8001 weight 256 "), big.text.constData());
    QVERIFY(!big.warnings.filter(QStringLiteral("weights")).isEmpty());
}

void TestConfigExport::haproxyMapsHealthRetriesStickySlowStart()
{
    const ExportResult r = exportHaproxy(everythingOn(), {});
    const QString h = QString::fromUtf8(r.text);
    for (const char* expected : {"option httpchk",
                                 "http-check send meth GET uri /health",
                                 "http-check expect rstatus ^[2-3][0-9][0-9]$",
                                 "check inter 2s rise 2 fall 3",
                                 "check inter 750ms rise 2 fall 3",
                                 "slowstart 3s",
                                 "cookie LABSRV insert indirect nocache",
                                 "cookie backend-8001",
                                 "observe layer7 error-limit 5 on-error mark-down",
                                 "retries 2",
                                 "option redispatch 1",
                                 "retry-on conn-failure empty-response response-timeout 404 500 502 503 504",
                                 "timeout connect 2s",
                                 "timeout server 30s",
                                 "maxconn 500",
                                 "tcp-request connection reject if { sc_conn_cur(0) gt 20 }",
                                 "sc_http_req_rate(1,lab_rate_keys) gt 5",
                                 "store http_req_rate(2s)",
                                 "req.hdr(X-Api-Key)",
                                 "deny_status 413",
                                 "mode tcp",
                                 "backend lab_tcp",
                                 "X-Served-By %[srv_name]"})
        QVERIFY2(h.contains(QLatin1String(expected)),
                 qPrintable(QStringLiteral("missing ") + QLatin1String(expected) + QStringLiteral("\n") + h));
    QVERIFY(!h.contains(QStringLiteral("disable-l7-retry"))); // retryNonIdempotent is on
    QVERIFY(!r.warnings.filter(QStringLiteral("circuit breaker")).isEmpty());
    // Every warning is also in the file.
    for (const QString& w : r.warnings)
        QVERIFY2(h.contains(w.left(40)), qPrintable(w));

    LabConfig plain = LabConfig::defaultLab();
    const QString p = QString::fromUtf8(exportHaproxy(plain, {}).text);
    QVERIFY2(
        p.contains(QStringLiteral("http-request disable-l7-retry if !{ method GET HEAD OPTIONS PUT DELETE TRACE }")),
        qPrintable(p));
    QVERIFY(!p.contains(QStringLiteral("cookie ")));
}

void TestConfigExport::nginxWarnsWhatItCannotExpress()
{
    const ExportResult r = exportNginx(everythingOn(), {});
    const QStringList expected{QStringLiteral("active health checks"), QStringLiteral("slow start"),
                               QStringLiteral("sticky cookie")};
    for (const QString& e : expected) {
        QVERIFY2(!r.warnings.filter(e).isEmpty(), qPrintable(r.warnings.join(QLatin1Char('\n'))));
        QVERIFY(r.text.contains((QStringLiteral("NOT EXPRESSIBLE IN NGINX: ") + e).toUtf8()));
    }
    LabConfig quiet = LabConfig::defaultLab();
    quiet.health.enabled = false;
    quiet.outlier.enabled = false;
    quiet.breaker.enabled = false;
    const ExportResult q = exportNginx(quiet, {});
    QVERIFY2(q.warnings.isEmpty(), qPrintable(q.warnings.join(QLatin1Char('\n'))));
    QVERIFY(q.text.contains("Nothing in this lab is lost"));
}

void TestConfigExport::nginxMapsRetriesAndRateLimit()
{
    const QString n = QString::fromUtf8(exportNginx(everythingOn(), {}).text);
    for (const char* expected :
         {"proxy_next_upstream error timeout http_404 http_500 http_502 http_503 http_504 non_idempotent;",
          "proxy_next_upstream_tries 3;", "limit_req_zone $lab_rate_key zone=lab_rate:10m rate=150r/m;",
          "limit_req zone=lab_rate burst=4 nodelay;", "limit_req_status 429;", "limit_conn lab_conn 20;",
          "max_fails=5 fail_timeout=30s", "client_max_body_size 1048576;", "proxy_connect_timeout 2s;",
          "\"~(^|, )127\\.0\\.0\\.1:8001$\" \"backend-8001\";", "stream {", "proxy_timeout 3600s;",
          "server 127.0.0.1:8001 weight=5"})
        QVERIFY2(n.contains(QLatin1String(expected)),
                 qPrintable(QStringLiteral("missing ") + QLatin1String(expected) + QStringLiteral("\n") + n));
}

// retry.avoid: HAProxy's redispatch is "previous" (exact), no redispatch for "none" (a warning: HAProxy
// then retries the same server), a warning for "tried"; nginx is always "tried" and warns for the others.
// Every file still passes the validator.
void TestConfigExport::retryAvoidRules_data()
{
    QTest::addColumn<int>("format");
    QTest::addColumn<QString>("avoid");
    QTest::addColumn<bool>("redispatch"); // haproxy: the file has option redispatch 1
    QTest::addColumn<bool>("warned"); // a warning names the retry rule
    QTest::newRow("haproxy tried") << int(ExportFormat::Haproxy) << QStringLiteral("tried") << true << true;
    QTest::newRow("haproxy previous") << int(ExportFormat::Haproxy) << QStringLiteral("previous") << true << false;
    QTest::newRow("haproxy none") << int(ExportFormat::Haproxy) << QStringLiteral("none") << false << true;
    QTest::newRow("nginx tried") << int(ExportFormat::Nginx) << QStringLiteral("tried") << false << false;
    QTest::newRow("nginx previous") << int(ExportFormat::Nginx) << QStringLiteral("previous") << false << true;
    QTest::newRow("nginx none") << int(ExportFormat::Nginx) << QStringLiteral("none") << false << true;
}

void TestConfigExport::retryAvoidRules()
{
    QFETCH(int, format);
    QFETCH(QString, avoid);
    QFETCH(bool, redispatch);
    QFETCH(bool, warned);
    LabConfig c = LabConfig::defaultLab();
    QVERIFY(c.backends.size() >= 3);
    c.retry.retries = 2;
    c.retry.retryOn = {QStringLiteral("connect-failure"), QStringLiteral("404")};
    c.retry.avoid = avoid;
    QTemporaryDir dir;
    const ExportResult r = exportConfig(ExportFormat(format), c, optionsIn(dir));
    const QString text = QString::fromUtf8(r.text);
    const QString warnings = r.warnings.join(QLatin1Char('\n'));
    if (format == int(ExportFormat::Haproxy)) {
        QVERIFY2(text.contains(QStringLiteral("    retries 2\n")), qPrintable(text));
        QCOMPARE(text.contains(QStringLiteral("option redispatch 1")), redispatch);
        const bool trap = !r.warnings.filter(QStringLiteral("avoids only the server that just failed")).isEmpty();
        const bool same = !r.warnings.filter(QStringLiteral("retries on the same server")).isEmpty();
        QCOMPARE(trap, avoid == QLatin1String("tried"));
        QCOMPARE(same, avoid == QLatin1String("none"));
        QCOMPARE(trap || same, warned);
    } else {
        QVERIFY2(text.contains(QStringLiteral("proxy_next_upstream_tries 3;")), qPrintable(text));
        QCOMPARE(!r.warnings.filter(QStringLiteral("retry.avoid")).isEmpty(), warned);
    }
    for (const QString& w : r.warnings)
        QVERIFY2(text.contains(w.left(40)), qPrintable(w)); // every warning is also in the file
    const ValidationResult v = validate(ExportFormat(format), r.text, dir);
    QVERIFY2(v.ok(), qPrintable(v.output + QStringLiteral("\n") + text + warnings));
}

void TestConfigExport::maglevSaysWhatItBecomes()
{
    LabConfig c = LabConfig::defaultLab();
    c.algorithm = QStringLiteral("maglev");
    const ExportResult h = exportHaproxy(c, {});
    QVERIFY(h.text.contains("hash-type consistent"));
    QVERIFY(!h.warnings.filter(QStringLiteral("maglev: HAProxy has no Maglev table: it becomes consistent hashing"))
                 .isEmpty());
    const ExportResult n = exportNginx(c, {});
    QVERIFY(n.text.contains("hash $remote_addr consistent;"));
    QVERIFY(!n.warnings.filter(QStringLiteral("maglev")).isEmpty());
}

void TestConfigExport::tlsListenerIsExportedAsTls_data()
{
    // Where the key lies decides what HAProxy needs: the lab's `cert` writes cert.pem and key.pem, which
    // HAProxy cannot take as they are (it reads the key from the certificate's file or its path + .key).
    QTest::addColumn<bool>("keyBesideCert");
    QTest::newRow("cert.pem and key.pem (the lab's cert)") << false;
    QTest::newRow("cert.pem and cert.pem.key") << true;
}

// A listener that terminates TLS becomes a TLS listener in both files, with the lab's own certificate
// (SelfSignedCertificate, what `balancer-lab cert` writes), and both validators load it: haproxy -c and
// nginx -t read the certificate and key, so a missing or mismatched key fails them.
void TestConfigExport::tlsListenerIsExportedAsTls()
{
    QFETCH(bool, keyBesideCert);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    SelfSignedCertificate cert;
    QString why;
    QVERIFY2(SelfSignedCertificate::write(dir.filePath(QStringLiteral("tls")), &cert, &why), qPrintable(why));
    QString key = cert.keyFile;
    if (keyBesideCert) {
        key = cert.certFile + QStringLiteral(".key");
        QVERIFY(QFile::rename(cert.keyFile, key));
    }
    LabConfig c = LabConfig::defaultLab();
    c.listeners.first().tls = TlsConfig{cert.certFile, key};
    const ExportResult h = exportHaproxy(c, optionsIn(dir));
    const ExportResult n = exportNginx(c, optionsIn(dir));
    QVERIFY2(h.text.contains(QStringLiteral("    bind 127.0.0.1:8000 ssl crt %1\n").arg(cert.certFile).toUtf8()),
             h.text.constData());
    QVERIFY(h.text.contains("http-request set-header X-Forwarded-Proto https"));
    QVERIFY2(n.text.contains("        listen 127.0.0.1:8000 ssl;\n"), n.text.constData());
    QVERIFY(n.text.contains(QStringLiteral("        ssl_certificate %1;\n").arg(cert.certFile).toUtf8()));
    QVERIFY(n.text.contains(QStringLiteral("        ssl_certificate_key %1;\n").arg(key).toUtf8()));
    QVERIFY(!h.text.contains("plain HTTP") && !n.text.contains("plain HTTP"));
    QVERIFY2(n.warnings.filter(QStringLiteral("TLS")).isEmpty(), qPrintable(n.warnings.join(QLatin1Char('\n'))));

    const ValidationResult nv = validate(ExportFormat::Nginx, n.text, dir);
    QVERIFY2(nv.ok(), qPrintable(nv.output));
    const QStringList tls = h.warnings.filter(QStringLiteral("TLS"));
    if (!keyBesideCert) {
        // As exported, HAProxy finds no key and says so; the warning's command puts it where HAProxy looks.
        QCOMPARE(tls.size(), 1);
        const QString link = QStringLiteral("ln -s %1 %2.key").arg(cert.keyFile, cert.certFile);
        QVERIFY2(tls.first().contains(link), qPrintable(tls.first()));
        QVERIFY(h.text.contains(link.toUtf8()));
        const ValidationResult before = validate(ExportFormat::Haproxy, h.text, dir);
        QVERIFY2(!before.ok(), qPrintable(before.output));
        QVERIFY(QFile::link(cert.keyFile, cert.certFile + QStringLiteral(".key")));
    } else {
        QVERIFY2(tls.isEmpty(), qPrintable(tls.join(QLatin1Char('\n'))));
    }
    const ValidationResult hv = validate(ExportFormat::Haproxy, h.text, dir);
    QVERIFY2(hv.ok(), qPrintable(hv.output));
}

// The lab's admin endpoint ("admin" key, core/admin) is exported when enabled: HAProxy's Prometheus
// exporter service and stats page, nginx's stub_status with a warning; both validate. Disabled: none.
void TestConfigExport::adminEndpointIsExported()
{
    LabConfig c = LabConfig::defaultLab();
    QVERIFY(!metricsEndpointOf(c));
    c.admin.enabled = true;
    c.admin.port = 18491;
    const std::optional<MetricsEndpoint> m = metricsEndpointOf(c);
    QVERIFY(m);
    QCOMPARE(m->address, QStringLiteral("127.0.0.1"));
    QCOMPARE(m->port, 18491);
    c.admin.port = 0; // any free port in the lab: the target gets the default
    QCOMPARE(metricsEndpointOf(c)->port, AdminConfig{}.port);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ExportOptions o = optionsIn(dir);
    o.metrics = m;
    const ExportResult h = exportHaproxy(c, o);
    QVERIFY2(h.text.contains("frontend lab_metrics\n    bind 127.0.0.1:18491\n"), h.text.constData());
    QVERIFY(h.text.contains("http-request use-service prometheus-exporter if { path /metrics }"));
    QVERIFY(!h.warnings.filter(QStringLiteral("haproxy_server_")).isEmpty());
    const ExportResult n = exportNginx(c, o);
    QVERIFY2(n.text.contains("        listen 127.0.0.1:18491;\n        location = /metrics { stub_status; }"),
             n.text.constData());
    QVERIFY(!n.warnings.filter(QStringLiteral("no Prometheus exposition")).isEmpty());
    const ValidationResult hv = validate(ExportFormat::Haproxy, h.text, dir);
    QVERIFY2(hv.ok(), qPrintable(hv.output));
    const ValidationResult nv = validate(ExportFormat::Nginx, n.text, dir);
    QVERIFY2(nv.ok(), qPrintable(nv.output));
}

QTEST_GUILESS_MAIN(TestConfigExport)
#include "tst_configexport.moc"
