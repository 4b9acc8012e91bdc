#include "ExportValidator.h"

#include <QProcess>
#include <QStandardPaths>

namespace lab {

QString findExportBinary(ExportFormat format)
{
    const QString name = exportBinaryName(format);
    QString path = QStandardPaths::findExecutable(name);
    if (path.isEmpty())
        path = QStandardPaths::findExecutable(name, {QStringLiteral("/usr/sbin"), QStringLiteral("/sbin")});
    return path;
}

ValidationResult validateExportFile(ExportFormat format, const QString& configFile, const QString& runtimeDir,
                                    int timeoutMs)
{
    const QString binary = findExportBinary(format);
    if (binary.isEmpty())
        return {ValidationResult::Status::BinaryMissing,
                QStringLiteral("%1 is not installed (Debian package %2)")
                    .arg(exportBinaryName(format), exportPackageName(format))};
    QStringList args;
    if (format == ExportFormat::Haproxy)
        args << QStringLiteral("-c") << QStringLiteral("-f") << configFile;
    else
        args << QStringLiteral("-t") << QStringLiteral("-c") << configFile << QStringLiteral("-p") << runtimeDir
             << QStringLiteral("-e") << runtimeDir + QStringLiteral("/error.log");
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(binary, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished(1000);
        return {ValidationResult::Status::Invalid,
                QStringLiteral("%1 did not finish its check within %2 ms").arg(binary).arg(timeoutMs)};
    }
    const QString output = QString::fromLocal8Bit(p.readAll()).trimmed();
    const bool ok = p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    return {ok ? ValidationResult::Status::Valid : ValidationResult::Status::Invalid, output};
}

} // namespace lab
