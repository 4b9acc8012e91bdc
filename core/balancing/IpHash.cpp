#include "IpHash.h"

#include "backend/Backend.h"

namespace lab {

Backend* IpHash::pick(std::span<Backend* const> eligible, const PickContext& context)
{
    const quint32 v4 = context.clientAddress.toIPv4Address();
    const quint64 h = v4 ? hash64(QByteArrayView(reinterpret_cast<const char*>(&v4), sizeof v4))
                         : hash64(context.clientAddress.toString().toLatin1());
    const size_t i = size_t(h % eligible.size());
    if (context.explanation)
        *context.explanation =
            QStringLiteral("ip-hash: %1 → hash %2 mod %3 = %4 → %5")
                .arg(context.clientAddress.toString(),
                     QStringLiteral("0x%1").arg(h >> 48, 4, 16, QLatin1Char('0')) + QStringLiteral("…"))
                .arg(eligible.size())
                .arg(i)
                .arg(eligible[i]->name);
    return eligible[i];
}

} // namespace lab
