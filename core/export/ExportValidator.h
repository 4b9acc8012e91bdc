#pragma once

#include "ConfigExport.h"

#include <QByteArray>
#include <QString>

namespace lab {

// Where the target's binary is: PATH, then /usr/sbin and /sbin (where Debian puts both, and where a
// normal user's PATH often does not look). Empty when it is not installed.
QString findExportBinary(ExportFormat format);

// Runs the target's own config check on `configFile`: `haproxy -c -f FILE`, or `nginx -t -c FILE` with
// the prefix and the start-up error log in `runtimeDir` (so it works without root). Blocks for at most
// timeoutMs; the check takes ~50 ms.
struct ValidationResult {
    enum class Status { Valid, Invalid, BinaryMissing };
    Status status = Status::Invalid;
    QString output; // what the validator printed (stdout and stderr), or what is missing
    bool ok() const { return status == Status::Valid; }
};
ValidationResult validateExportFile(ExportFormat format, const QString& configFile, const QString& runtimeDir,
                                    int timeoutMs = 20'000);

} // namespace lab
