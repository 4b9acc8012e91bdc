#pragma once

#include <QList>
#include <QString>

namespace lab {

// A lesson built into the program: a scenario in the resources (:/lessons/NN-name.json), numbered as the
// course orders them (gaps are lessons not written yet).
struct LessonInfo {
    int number = 0;
    QString file; // ":/lessons/01-round-robin-and-failover.json", readable with loadScenario()
    QString title;
    QString summary;
};

// Every built-in lesson, by number. Each is parsed to read its title; one that does not parse is a
// build mistake and is listed with the error as its summary (tst_scenario plays them all).
QList<LessonInfo> builtInLessons();

} // namespace lab
