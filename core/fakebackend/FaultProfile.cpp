#include "FaultProfile.h"

#include <QRandomGenerator>
#include <cmath>
#include <numbers>

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

QStringList FaultProfile::serviceDistributions()
{
    return {QStringLiteral("fixed"), QStringLiteral("exp"), QStringLiteral("lognormal")};
}

double FaultProfile::drawServiceMs(QRandomGenerator& random) const
{
    if (serviceMs <= 0)
        return 0;
    const double mean = serviceMs;
    // 1 - generateDouble() is in (0, 1]: its log is finite.
    if (serviceDist == QLatin1String("exp"))
        return -mean * std::log(1.0 - random.generateDouble());
    if (serviceDist == QLatin1String("lognormal")) {
        // Box-Muller: one standard normal draw from two uniform ones.
        const double z = std::sqrt(-2.0 * std::log(1.0 - random.generateDouble())) *
            std::cos(2.0 * std::numbers::pi * random.generateDouble());
        const double mu = std::log(mean) - kLognormalSigma * kLognormalSigma / 2.0; // E[e^(mu+sigma z)] = mean
        return std::exp(mu + kLognormalSigma * z);
    }
    return mean;
}

} // namespace lab
