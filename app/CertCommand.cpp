#include "CertCommand.h"

#include "CommandLine.h"
#include "Commands.h"
#include "proxy/SelfSignedCertificate.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>

namespace lab::app {

int runCert(int argc, char** argv)
{
    QCoreApplication::setApplicationName(QStringLiteral("balancer-lab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LAB_VERSION));
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Make a self-signed certificate and key for localhost (subject alternative names localhost,\n"
                       "127.0.0.1 and ::1), valid %1 days: DIR/cert.pem and DIR/key.pem (existing ones are replaced).\n"
                       "Serve HTTPS with them:  balancer-lab serve --tls-cert DIR/cert.pem --tls-key DIR/key.pem\n"
                       "and trust them:         curl --cacert DIR/cert.pem https://localhost:8000/")
            .arg(SelfSignedCertificate::kValidDays));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Directory to write into (created if missing)."),
                                 QStringLiteral("DIR"));
    parser.addOption(out);
    if (!parseOrExplain(parser, arguments(argc, argv, 1), QStringLiteral("cert")))
        return ExitUsage;
    if (!parser.isSet(out) || parser.value(out).isEmpty()) {
        printErr(QStringLiteral("balancer-lab cert: --out DIR is required (where cert.pem and key.pem go)"));
        return ExitUsage;
    }
    SelfSignedCertificate made;
    QString error;
    if (!SelfSignedCertificate::write(QDir(parser.value(out)).absolutePath(), &made, &error)) {
        printErr(QStringLiteral("balancer-lab cert: ") + error);
        return ExitRuntime;
    }
    printOut(QStringLiteral("certificate %1\nkey         %2\nfor localhost, 127.0.0.1 and ::1 until %3; SHA-256 %4\n"
                            "try:  balancer-lab serve --tls-cert %1 --tls-key %2\n"
                            "      curl --cacert %1 https://localhost:8000/")
                 .arg(made.certFile, made.keyFile, made.notAfter.toString(QStringLiteral("yyyy-MM-dd")),
                      made.sha256Fingerprint));
    return ExitOk;
}

} // namespace lab::app
