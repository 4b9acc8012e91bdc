#pragma once

#include "experiment/ExperimentResults.h"

#include <QColor>
#include <QIcon>
#include <QImage>
#include <QList>
#include <QString>

class QAbstractItemModel;
class QChart;

namespace lab {

// The Experiments tab's pictures, apart from the tab so the saved image draws the same charts at a size
// of its own. Arm `i` has one colour and one dash everywhere (the arm toggles, both charts, the image):
// eight colours and four dashes, so lines that overlap can still be told apart in print and by a reader
// who does not see colours well. `shown[i]` false leaves arm i out of a chart (a missing entry: shown).

QColor armColour(int arm);
Qt::PenStyle armPenStyle(int arm);
// The width of the arm's line: less for every later arm, so coinciding lines all stay visible.
double armLineWidth(int arm);
// A short line in the arm's colour and dash, for its toggle.
QIcon armIcon(int arm);

// The percentile axis of the latency chart: -log10(1 - fraction), so p50, p90, p99 and p99.9 are evenly
// spaced (0.3, 1, 2, 3) and the tail, where the algorithms differ, gets most of the height. Fractions
// past p99.9 are drawn at p99.9's line (the chart's title says so).
constexpr double kPercentileAxisTop = 3.0;
double percentileAxisPosition(double fraction);

// Latency (ms, log scale) against percentile, one line per shown arm: a CDF whose tail is stretched. The x
// range spans the shown arms' p10 to p99.9, so the part that differs fills the width.
QChart* makeLatencyChart(const QList<ArmResult>& arms, const QList<bool>& shown);
// Each backend's share of the responses (%), one horizontal bar per shown arm, the backend's name beside
// its bars and the value at the end of each bar. The charts' own legends are hidden: the tab's arm
// toggles and the image's legend row name the arms whole.
// The bars take 90 % of each backend's band and their labels a font a little smaller than the chart's,
// so a bar is at least as thick as its label at shareChartMinimumHeight().
QChart* makeShareChart(const QList<ArmResult>& arms, const QList<bool>& shown);
// The least height (px) of a view of makeShareChart(arms, shown) in which no bar's value label meets the
// next one's (a label per bar: shown arms x backends) and every backend name has its band: the tab's
// results scroll below it rather than squeeze the bars (the trial's 4 arms x 4 backends overlapped).
int shareChartMinimumHeight(const QList<ArmResult>& arms, const QList<bool>& shown);
// The least height of the latency chart's view with its four percentile marks apart and readable (a plot of
// 200 px under its title, above its x axis's marks and title).
constexpr int kLatencyChartMinimumHeight = 275;

// The results as one image for Save PNG: a heading (title, when it ran), the table whole (every row and
// column of `model`, not the tab's scrolled view of it), a legend row and both charts at a readable size.
// Its width grows with the table (at least 1400 px); nothing in it is elided.
QImage renderResultsImage(const QString& title, const QString& subtitle, QAbstractItemModel* model,
                          const QList<ArmResult>& arms, const QList<bool>& shown);

} // namespace lab
