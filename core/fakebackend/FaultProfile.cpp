#include "FaultProfile.h"

namespace lab {

bool FaultProfile::servesPath(const QString& path) const
{
    if (onlyPaths.isEmpty())
        return true;
    for (const QString& p : onlyPaths) {
        if (p == QLatin1String("/") || path == p)
            return true;
        const QString dir = p.endsWith(QLatin1Char('/')) ? p : p + QLatin1Char('/');
        if (path.startsWith(dir))
            return true;
    }
    return false;
}

} // namespace lab
