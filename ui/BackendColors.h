#pragma once

#include <QColor>
#include <iterator>

namespace lab {

// A backend's own colour, by the pool's backend id (MetricsSnapshot's BackendStats::id): the charts'
// bands, the share pie and the hash view's cells paint one backend alike, so a learner matches them by
// eye. Ids beyond the palette repeat it.
inline QColor backendColor(int id)
{
    static const QColor palette[] = {QColor(0x1f, 0x77, 0xb4), QColor(0xff, 0x7f, 0x0e), QColor(0x2c, 0xa0, 0x2c),
                                     QColor(0x94, 0x67, 0xbd), QColor(0x8c, 0x56, 0x4b), QColor(0xe3, 0x77, 0xc2),
                                     QColor(0x7f, 0x7f, 0x7f), QColor(0xbc, 0xbd, 0x22), QColor(0x17, 0xbe, 0xcf)};
    return palette[size_t(qMax(0, id)) % std::size(palette)];
}

} // namespace lab
