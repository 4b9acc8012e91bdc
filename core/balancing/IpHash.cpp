#include "IpHash.h"

#include "backend/Backend.h"

namespace lab {

namespace {

QString sentence(const PickNote& n)
{
    return QStringLiteral("ip-hash: %1 → hash %2 mod %3 = %4 → %5")
        .arg(n.client.toString(),
             QStringLiteral("0x%1").arg(quint64(n.numbers[0]), 4, 16, QLatin1Char('0')) + QStringLiteral("…"))
        .arg(n.numbers[1])
        .arg(n.numbers[2])
        .arg(n.chosen);
}

void explain(const PickNote& n, QString& out)
{
    out += sentence(n);
}

} // namespace

Backend* IpHash::choose(std::span<Backend* const> eligible, const PickContext& context)
{
    const quint32 v4 = context.clientAddress.toIPv4Address();
    const quint64 h = v4 ? hash64(QByteArrayView(reinterpret_cast<const char*>(&v4), sizeof v4))
                         : hash64(context.clientAddress.toString().toLatin1());
    const size_t i = size_t(h % eligible.size());
    if (PickNote* note = context.note) {
        note->format = explain;
        note->client = context.clientAddress;
        note->numbers = {qint64(h >> 48), qint64(eligible.size()), qint64(i)};
        note->chosen = eligible[i]->name;
    }
    return eligible[i];
}

} // namespace lab
