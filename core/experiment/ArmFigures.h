#pragma once

#include "ExperimentResults.h"

#include <QJsonValue>
#include <QList>
#include <QString>

namespace lab {

// The figures of an arm, one schema for every place that shows them: the terminal's table
// (resultsTable), the window's table (ExperimentResultsModel), arms.csv and results.json, and the
// table of docs/experiments.md (a test holds the docs to it). Each figure has one name per place,
// derived from one word ("max queue" / max_queue / maxQueue), and one explanation.
//
// The M/M/c figures sit right after the measurement they predict (MmcMean after Mean, MmcP99 after P99)
// and say how far the measurement is from them: "38.0 (+8%)" = predicted 38.0 ms, measured 8 % above.
enum class ArmFigure {
    Arm,
    Requests,
    Ok,
    Status4xx,
    Backend5xx,
    Proxy5xx,
    Timeouts,
    Failed,
    Throughput,
    Mean,
    MmcMean,
    P50,
    P95,
    P99,
    MmcP99,
    P999,
    Retries,
    Attempts,
    Load,
    MaxQueue,
    Busiest,
    Jain,
    KeysMoved,
    Count
};

struct ArmFigureInfo {
    const char* header; // both tables' column header, and the name the docs give it
    const char* csv; // its arms.csv column
    const char* json; // its key in results.json's arm objects
    const char* tip; // what it is, in a sentence or three (the window's header tooltip, the docs)
};

const ArmFigureInfo& armFigureInfo(ArmFigure f);
QList<ArmFigure> allArmFigures();
// Whether any arm has the figure: keys moved needs a timeline that adds or stops a backend, the M/M/c
// figures an M/M/c system, busiest a backend with a worker limit. The terminal's tables leave out a
// column no arm has (its notes say why); the window keeps the M/M/c columns, whose tooltips say why.
bool armFigureShown(ArmFigure f, const QList<ArmResult>& arms);
// A table cell ("41.2", "38.0 (+8%)", "21.7% (ideal 20.0%)"; "n/a" when the arm has none).
QString armFigureText(ArmFigure f, const ArmResult& a);
// The figure as a number for arms.csv and results.json (a string for Arm; null when the arm has none).
QJsonValue armFigureValue(ArmFigure f, const ArmResult& a);
// How far `measured` is from `predicted`, in percent of the prediction: "+8%", "-12%".
QString percentFrom(double measured, double predicted);
// The footnotes of the M/M/c columns and of jain: what the prediction assumes (with `model` when every
// arm shares one), what its percentage is, and what fairness does not measure.
QString theoryAssumptions();
QString fairnessNote();

} // namespace lab
