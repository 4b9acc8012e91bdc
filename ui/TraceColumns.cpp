#include "TraceColumns.h"

#include "TraceModel.h"

#include <QEvent>
#include <QHeaderView>
#include <QTableView>

namespace lab {

namespace {
using T = TraceModel;
constexpr int kPadding = 12; // a cell's margins both sides, and the sort indicator's slack
static_assert(T::ColumnCount == 7);
} // namespace

TraceColumns::TraceColumns(QTableView* view)
    : QObject(view)
    , m_view(view)
    , m_viewport(view->viewport())
{
    m_view->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_view->setTextElideMode(Qt::ElideMiddle);
    QHeaderView* h = m_view->horizontalHeader();
    h->setSectionResizeMode(QHeaderView::Fixed);
    h->setStretchLastSection(false);
    h->setMinimumSectionSize(16);
    m_viewport->installEventFilter(this);
    m_view->installEventFilter(this);
    QAbstractItemModel* m = m_view->model();
    connect(m, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex&, int first, int last) {
        measure(first, last);
        fit();
    });
    connect(m, &QAbstractItemModel::modelReset, this, &TraceColumns::remeasure);
    remeasure();
}

bool TraceColumns::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_viewport && event->type() == QEvent::Resize)
        fit();
    else if (watched == m_view && event->type() == QEvent::FontChange)
        remeasure();
    return QObject::eventFilter(watched, event);
}

void TraceColumns::remeasure()
{
    m_widest.fill(0);
    // The widest a time or a latency can be, so a column never widens row by row as values arrive.
    const QFontMetrics fm(m_view->font());
    m_widest[T::Time] = fm.horizontalAdvance(QStringLiteral("00:00:00.000"));
    m_widest[T::Latency] = fm.horizontalAdvance(QStringLiteral("0000.00"));
    m_widest[T::Status] = fm.horizontalAdvance(QStringLiteral("none"));
    measure(0, m_view->model()->rowCount() - 1);
    fit();
}

void TraceColumns::measure(int first, int last)
{
    const QAbstractItemModel* m = m_view->model();
    const QFontMetrics fm(m_view->font());
    for (int r = first; r <= last; ++r) {
        for (int c : {T::Method, T::Path, T::Latency, T::ServedBy, T::Attempts})
            m_widest[c] = std::max(m_widest[c], fm.horizontalAdvance(m->index(r, c).data().toString()));
    }
}

void TraceColumns::fit()
{
    const QAbstractItemModel* m = m_view->model();
    const QFontMetrics head(m_view->horizontalHeader()->font());
    std::array<int, T::ColumnCount> want{};
    for (int c = 0; c < T::ColumnCount; ++c)
        want[c] = std::max(m_widest[c], head.horizontalAdvance(m->headerData(c, Qt::Horizontal).toString())) + kPadding;
    const int room = m_view->viewport()->width();
    std::array<bool, T::ColumnCount> hidden{};
    std::array<int, T::ColumnCount> width = want;
    const int pathLeast = head.horizontalAdvance(QStringLiteral("/i…9")) + kPadding;
    auto used = [&] {
        int sum = 0;
        for (int c = 0; c < T::ColumnCount; ++c)
            sum += hidden[c] ? 0 : (c == T::Path ? pathLeast : width[c]);
        return sum;
    };
    for (int c : {T::Attempts, T::Method, T::Path}) {
        if (used() <= room)
            break;
        hidden[c] = true;
    }
    // The path takes what is left (at least its least), then the attempts stretch to the edge.
    int left = room - used();
    if (!hidden[T::Path]) {
        width[T::Path] = std::max(pathLeast, std::min(want[T::Path], pathLeast + left));
        left -= width[T::Path] - pathLeast;
    }
    if (!hidden[T::Attempts] && left > 0)
        width[T::Attempts] += left;
    QHeaderView* h = m_view->horizontalHeader();
    for (int c = 0; c < T::ColumnCount; ++c) {
        if (h->isSectionHidden(c) != hidden[c])
            h->setSectionHidden(c, hidden[c]);
        if (!hidden[c] && h->sectionSize(c) != width[c])
            h->resizeSection(c, width[c]);
    }
}

} // namespace lab
