#include "ExperimentCharts.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QFontMetrics>
#include <QGraphicsLayout>
#include <QHeaderView>
#include <QHorizontalBarSeries>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPainter>
#include <QPixmap>
#include <QScrollBar>
#include <QTableView>
#include <QValueAxis>
#include <cmath>

namespace lab {

namespace {

bool isShown(const QList<bool>& shown, int arm)
{
    return shown.value(arm, true);
}

// Renders a chart the size an image needs, without showing it: the view lays the chart out on its
// resize, which grab() delivers.
QPixmap renderChart(QChart* chart, QSize size)
{
    QChartView view(chart);
    view.setRenderHint(QPainter::Antialiasing);
    view.resize(size);
    return view.grab();
}

// Thin margins: in the tab at 768 px every pixel of height is the plot's.
void compact(QChart* chart)
{
    chart->setMargins(QMargins(4, 2, 8, 2));
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->setBackgroundRoundness(0);
    QFont title = chart->titleFont();
    title.setPointSizeF(QFont().pointSizeF());
    chart->setTitleFont(title);
}

constexpr double kShareBarWidth = 0.9; // of a backend's band, shared by its arms' bars

QFont shareLabelFont()
{
    QFont f;
    f.setPointSizeF(f.pointSizeF() * 0.8);
    return f;
}

// The backends of the arms, in the order the first arm that has each lists them.
QStringList backendNames(const QList<ArmResult>& arms)
{
    QStringList backends;
    for (const ArmResult& a : arms) {
        for (const BackendResult& b : a.backends) {
            if (!backends.contains(b.name))
                backends << b.name;
        }
    }
    return backends;
}

} // namespace

QColor armColour(int arm)
{
    // Okabe-Ito's colour-blind-safe palette (yellow left out: unreadable on white), then two more.
    static const QColor colours[] = {QColor(0x00, 0x72, 0xB2), QColor(0xD5, 0x5E, 0x00), QColor(0x00, 0x9E, 0x73),
                                     QColor(0xCC, 0x79, 0xA7), QColor(0x56, 0xB4, 0xE9), QColor(0xE6, 0x9F, 0x00),
                                     QColor(0x44, 0x44, 0x44), QColor(0x8C, 0x56, 0x4B)};
    return colours[arm % int(std::size(colours))];
}

Qt::PenStyle armPenStyle(int arm)
{
    static const Qt::PenStyle styles[] = {Qt::SolidLine, Qt::DashLine, Qt::DashDotLine, Qt::DotLine};
    return styles[arm % int(std::size(styles))];
}

double armLineWidth(int arm)
{
    // Thinner for every later arm, drawn in arm order: where two lines coincide the later one is on top
    // and the earlier one shows on both sides of it (least-latency's dots hid in least-connections' dashes).
    static const double widths[] = {4.0, 3.4, 2.8, 2.2};
    return widths[arm % int(std::size(widths))];
}

QIcon armIcon(int arm)
{
    QPixmap pixmap(32, 12);
    pixmap.fill(Qt::transparent);
    QPainter p(&pixmap);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(armColour(arm), armLineWidth(arm), armPenStyle(arm), Qt::FlatCap));
    p.drawLine(1, 6, 31, 6);
    return QIcon(pixmap);
}

double percentileAxisPosition(double fraction)
{
    const double rest = 1.0 - fraction;
    return rest <= std::pow(10.0, -kPercentileAxisTop) ? kPercentileAxisTop : -std::log10(rest);
}

QChart* makeLatencyChart(const QList<ArmResult>& arms, const QList<bool>& shown)
{
    auto* chart = new QChart;
    compact(chart);
    chart->setTitle(QObject::tr("Client latency by percentile (ms, log scale; beyond p99.9 drawn at p99.9)"));
    chart->legend()->hide();
    auto* x = new QLogValueAxis;
    x->setLabelFormat(QStringLiteral("%g"));
    x->setBase(10);
    x->setMinorTickCount(8);
    x->setTitleText(QObject::tr("latency, ms (log scale)"));
    auto* y = new QCategoryAxis;
    y->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    y->setStartValue(0);
    // Four marks: at 150 px of plot (the tab at 768 px) closer ones elide to "..."
    const std::pair<const char*, double> marks[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p99.9", 0.999}};
    for (const auto& [label, fraction] : marks)
        y->append(QString::fromLatin1(label), percentileAxisPosition(fraction));
    y->setRange(0, kPercentileAxisTop * 1.02);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    double lo = 1e12;
    double hi = 0;
    for (int i = 0; i < arms.size(); ++i) {
        const ArmResult& a = arms[i];
        if (!isShown(shown, i) || a.latency.total == 0)
            continue;
        auto* line = new QLineSeries;
        line->setName(a.name);
        line->setPen(QPen(armColour(i), armLineWidth(i), armPenStyle(i), Qt::FlatCap));
        quint64 seen = 0;
        bool first = true;
        for (int b = 0; b < LatencyHistogram::kBuckets; ++b) {
            const quint64 count = a.latency.buckets[size_t(b)];
            if (count == 0)
                continue;
            if (first) // the line rises from the fastest bucket's lower edge, at p0
                line->append(qMax(0.001, double(LatencyHistogram::bucketLowerMicros(b)) / 1000.0), 0);
            first = false;
            seen += count;
            const double position = percentileAxisPosition(double(seen) / double(a.latency.total));
            line->append(qMax(0.001, double(LatencyHistogram::bucketUpperMicros(b)) / 1000.0), position);
            if (position >= kPercentileAxisTop)
                break;
        }
        chart->addSeries(line);
        line->attachAxis(x);
        line->attachAxis(y);
        lo = qMin(lo, a.percentileMs(10));
        hi = qMax(hi, a.percentileMs(99.9));
    }
    if (hi > 0)
        x->setRange(qMax(0.01, lo / 1.5), qMax(hi * 1.5, lo * 3));
    else
        x->setRange(1, 1000);
    // A log axis labels only the powers of its base: over less than three decades, base 10 would label
    // one or two points, base 2 labels every doubling (2, 4, 8 ... ms).
    if (x->max() / x->min() < 1000) {
        x->setBase(2);
        x->setMinorTickCount(0);
    }
    return chart;
}

QChart* makeShareChart(const QList<ArmResult>& arms, const QList<bool>& shown)
{
    auto* chart = new QChart;
    compact(chart);
    chart->setTitle(QObject::tr("Share of responses per backend (%)"));
    chart->legend()->hide();
    QStringList backends = backendNames(arms);
    // Horizontal bars build from the bottom up: reversed, the first backend reads first, at the top.
    std::reverse(backends.begin(), backends.end());
    auto* series = new QHorizontalBarSeries;
    double most = 0;
    // The sets too, so that within a backend's group the first arm's bar is the top one, as in the toggles.
    for (int i = int(arms.size()) - 1; i >= 0; --i) {
        if (!isShown(shown, i))
            continue;
        auto* set = new QBarSet(arms[i].name);
        set->setColor(armColour(i));
        set->setBorderColor(armColour(i));
        set->setLabelColor(Qt::black);
        set->setLabelFont(shareLabelFont());
        for (const QString& name : std::as_const(backends)) {
            double share = 0;
            for (const BackendResult& b : arms[i].backends)
                share = b.name == name ? std::round(b.share * 1000) / 10 : share;
            *set << share;
            most = qMax(most, share);
        }
        series->append(set);
    }
    series->setBarWidth(kShareBarWidth);
    series->setLabelsVisible(true);
    series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
    series->setLabelsFormat(QStringLiteral("@value %"));
    series->setLabelsPrecision(4);
    chart->addSeries(series);
    auto* names = new QBarCategoryAxis;
    names->append(backends);
    auto* percent = new QValueAxis;
    // Room past the longest bar for its label.
    const double top = qMin(100.0, qMax(10.0, std::ceil(most * 1.25 / 10) * 10));
    percent->setRange(0, top);
    percent->setLabelFormat(QStringLiteral("%d"));
    // Whole, evenly spaced marks from 0: five default ticks over 0-10 read "0 2 5 7 10".
    percent->setTickType(QValueAxis::TicksDynamic);
    percent->setTickAnchor(0);
    percent->setTickInterval(top <= 10 ? 2 : top <= 50 ? 10 : 20);
    chart->addAxis(names, Qt::AlignLeft);
    chart->addAxis(percent, Qt::AlignBottom);
    series->attachAxis(names);
    series->attachAxis(percent);
    return chart;
}

int shareChartMinimumHeight(const QList<ArmResult>& arms, const QList<bool>& shown)
{
    int arm = 0;
    for (int i = 0; i < arms.size(); ++i)
        arm += isShown(shown, i) ? 1 : 0;
    const int bars = qMax(1, arm) * qMax(1, int(backendNames(arms).size()));
    // A label is drawn with a couple of pixels of margin around its line; a bar must be that thick.
    const int label = QFontMetrics(shareLabelFont()).height() + 4;
    const int plot = int(std::ceil(bars * label / kShareBarWidth));
    // Above and below the plot: the title, the percent axis' labels and the chart's margins.
    const int around = 2 * QFontMetrics(QFont()).height() + 40;
    return plot + around;
}

QImage renderResultsImage(const QString& title, const QString& subtitle, QAbstractItemModel* model,
                          const QList<ArmResult>& arms, const QList<bool>& shown)
{
    constexpr int kMargin = 16;
    constexpr int kChartHeight = 480;
    // The table at its natural size: every column as wide as its contents, every row, no scroll bars.
    QTableView table;
    table.setModel(model);
    table.verticalHeader()->hide();
    table.setWordWrap(false);
    table.setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    table.setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    table.resizeColumnsToContents();
    table.resizeRowsToContents();
    const int frame = 2 * table.frameWidth();
    int rowsHeight = 0;
    for (int r = 0; r < model->rowCount(); ++r)
        rowsHeight += table.rowHeight(r);
    const QSize tableSize(table.horizontalHeader()->length() + frame,
                          table.horizontalHeader()->sizeHint().height() + rowsHeight + frame);
    table.resize(tableSize);
    const QPixmap tablePixmap = table.grab();

    const int width = qMax(1400, tableSize.width() + 2 * kMargin);
    QFont titleFont = table.font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.3);
    const QFontMetrics titleMetrics(titleFont);
    const QFontMetrics metrics(table.font());
    const int textWidth = width - 2 * kMargin;
    const QRect titleRect =
        titleMetrics.boundingRect(QRect(0, 0, textWidth, 10000), Qt::TextWordWrap | Qt::AlignLeft, title);
    const QRect subtitleRect =
        metrics.boundingRect(QRect(0, 0, textWidth, 10000), Qt::TextWordWrap | Qt::AlignLeft, subtitle);

    // The legend row: each shown arm's line and its whole name, wrapped onto more rows when needed.
    struct Entry {
        int arm;
        QPoint at;
    };
    QList<Entry> legend;
    const int entryHeight = metrics.height() + 6;
    int lx = 0;
    int ly = 0;
    for (int i = 0; i < arms.size(); ++i) {
        if (!isShown(shown, i))
            continue;
        const int w = 40 + metrics.horizontalAdvance(arms[i].name) + 24;
        if (lx > 0 && lx + w > textWidth) {
            lx = 0;
            ly += entryHeight;
        }
        legend.append({i, QPoint(lx, ly)});
        lx += w;
    }
    const int legendHeight = legend.isEmpty() ? 0 : ly + entryHeight;

    int y = kMargin;
    const int titleY = y;
    y += titleRect.height() + 4;
    const int subtitleY = y;
    y += subtitleRect.height() + kMargin;
    const int tableY = y;
    y += tableSize.height() + kMargin;
    const int legendY = y;
    y += legendHeight + 4;
    const int chartsY = y;
    y += kChartHeight + kMargin;

    QImage image(width, y, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::white);
    QPainter p(&image);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(Qt::black);
    p.setFont(titleFont);
    p.drawText(QRect(kMargin, titleY, textWidth, titleRect.height()), Qt::TextWordWrap | Qt::AlignLeft, title);
    p.setFont(table.font());
    p.drawText(QRect(kMargin, subtitleY, textWidth, subtitleRect.height()), Qt::TextWordWrap | Qt::AlignLeft, subtitle);
    p.drawPixmap(kMargin, tableY, tablePixmap);
    for (const Entry& e : std::as_const(legend)) {
        const QPoint at = e.at + QPoint(kMargin, legendY);
        p.setPen(QPen(armColour(e.arm), armLineWidth(e.arm), armPenStyle(e.arm), Qt::FlatCap));
        p.drawLine(at.x(), at.y() + entryHeight / 2, at.x() + 32, at.y() + entryHeight / 2);
        p.setPen(Qt::black);
        p.drawText(QRect(at.x() + 40, at.y(), textWidth, entryHeight), Qt::AlignLeft | Qt::AlignVCenter,
                   arms[e.arm].name);
    }
    const int chartWidth = (width - 3 * kMargin) / 2;
    p.drawPixmap(kMargin, chartsY, renderChart(makeLatencyChart(arms, shown), QSize(chartWidth, kChartHeight)));
    p.drawPixmap(2 * kMargin + chartWidth, chartsY,
                 renderChart(makeShareChart(arms, shown), QSize(chartWidth, kChartHeight)));
    return image;
}

} // namespace lab
