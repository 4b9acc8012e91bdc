#include "ExportCommand.h"

#include "CommandLine.h"
#include "Commands.h"
#include "export/ConfigExport.h"
#include "export/ExportValidator.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSaveFile>
#include <QTemporaryDir>
#include <cstdio>

namespace lab::app {

int runExport(int argc, char** argv)
{
    QCoreApplication::setApplicationName(QStringLiteral("balancer-lab"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LAB_VERSION));
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Export the lab as a HAProxy or nginx configuration (docs/export.md). What the target\n"
                       "cannot express is a comment in the file and a warning on stderr. Exit 0 when written,\n"
                       "2 for a bad option or config (or --check without the target installed), 3 when the\n"
                       "file cannot be written or the target's validator rejects it."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption format(QStringLiteral("format"), QStringLiteral("haproxy or nginx."),
                                    QStringLiteral("FORMAT"));
    const QCommandLineOption config(QStringList{QStringLiteral("c"), QStringLiteral("config")},
                                    QStringLiteral("Export the lab in FILE (default: the default lab)."),
                                    QStringLiteral("FILE"));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Write to FILE instead of stdout."),
                                 QStringLiteral("FILE"));
    const QCommandLineOption runtimeDir(
        QStringLiteral("runtime-dir"),
        QStringLiteral("Put the pid file, logs and temp files in DIR (default: /run, /var/log)."),
        QStringLiteral("DIR"));
    const QCommandLineOption check(QStringLiteral("check"), QStringLiteral("Run haproxy -c / nginx -t on the result."));
    parser.addOptions({format, config, out, runtimeDir, check});
    if (!parseOrExplain(parser, arguments(argc, argv, 1), QStringLiteral("export")))
        return ExitUsage;
    const std::optional<ExportFormat> f = parseExportFormat(parser.value(format));
    if (!f) {
        printErr(
            QStringLiteral("balancer-lab export: --format: \"%1\"; allowed: haproxy, nginx").arg(parser.value(format)));
        return ExitUsage;
    }
    LabConfig lab = LabConfig::defaultLab();
    QString source = QStringLiteral("the default lab");
    if (parser.isSet(config)) {
        const LabConfigResult r = loadLabConfig(parser.value(config));
        if (!r.ok()) {
            printErr(QStringLiteral("balancer-lab export: invalid config\n") + r.error);
            return ExitUsage;
        }
        lab = r.config;
        source = QFileInfo(parser.value(config)).fileName();
    }
    ExportOptions options;
    options.sourceName = source;
    options.metrics = metricsEndpointOf(lab);
    if (parser.isSet(runtimeDir))
        options.runtimeDir = QDir(parser.value(runtimeDir)).absolutePath();
    const ExportResult result = exportConfig(*f, lab, options);
    for (const QString& w : result.warnings)
        printErr(QStringLiteral("balancer-lab export: warning: ") + w);

    QTemporaryDir scratch;
    QString file = parser.value(out);
    if (file.isEmpty() && parser.isSet(check))
        file = scratch.filePath(exportFormatName(*f) + QStringLiteral(".conf"));
    if (!file.isEmpty()) {
        QSaveFile save(file);
        if (!save.open(QIODevice::WriteOnly) || save.write(result.text) < 0 || !save.commit()) {
            printErr(QStringLiteral("balancer-lab export: %1: cannot write: %2").arg(file, save.errorString()));
            return ExitRuntime;
        }
    }
    if (parser.value(out).isEmpty())
        std::fwrite(result.text.constData(), 1, size_t(result.text.size()), stdout);
    if (!parser.isSet(check))
        return ExitOk;
    const QString dir = options.runtimeDir.isEmpty() ? scratch.path() : options.runtimeDir;
    const ValidationResult v = validateExportFile(*f, QFileInfo(file).absoluteFilePath(), dir);
    if (v.status == ValidationResult::Status::BinaryMissing) {
        printErr(QStringLiteral("balancer-lab export: --check: ") + v.output);
        return ExitUsage;
    }
    printErr(QStringLiteral("balancer-lab export: %1 check: %2%3")
                 .arg(exportBinaryName(*f), v.ok() ? QStringLiteral("valid") : QStringLiteral("REJECTED"),
                      v.output.isEmpty() ? QString() : QStringLiteral("\n") + v.output));
    return v.ok() ? ExitOk : ExitRuntime;
}

} // namespace lab::app
