#include "LoadGenerator.h"

// What a LoadSpec may ask for: the one place that says what is allowed, for the window, the config and
// scenarios alike.

namespace lab {

QString LoadSpec::validate() const
{
    if (port == 0)
        return QStringLiteral("target port must be from 1 to 65535");
    if (address.isNull())
        return QStringLiteral("target address must be an IP address");
    if (concurrency < 1 || concurrency > kMaxConcurrency)
        return QStringLiteral("concurrency must be from 1 to %1 (got %2)").arg(kMaxConcurrency).arg(concurrency);
    if (ratePerSecond < 0 || ratePerSecond > 1'000'000)
        return QStringLiteral("rate must be from 0 (as fast as possible) to 1000000 requests/s (got %1)")
            .arg(ratePerSecond);
    if (durationMs < 1 || durationMs > kMaxDurationMs)
        return QStringLiteral("duration must be from 1 ms to %1 s (got %2 ms)")
            .arg(kMaxDurationMs / 1000)
            .arg(durationMs);
    if (method.isEmpty() || method.contains(' ') || method.contains('\r') || method.contains('\n'))
        return QStringLiteral("method must be a single token such as GET or POST");
    if (!path.startsWith('/') || path.contains(' ') || path.contains('\r') || path.contains('\n'))
        return QStringLiteral("path must start with / and contain no spaces or line breaks");
    if (!sourceAddress.isNull() && sourceAddress.protocol() != address.protocol())
        return QStringLiteral("source address %1 is not of the target's protocol").arg(sourceAddress.toString());
    return users.validate();
}

} // namespace lab
