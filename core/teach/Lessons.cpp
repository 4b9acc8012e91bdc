#include "Lessons.h"

#include "Scenario.h"

#include <QDir>

namespace lab {

QList<LessonInfo> builtInLessons()
{
    QList<LessonInfo> lessons;
    const QDir dir(QStringLiteral(":/lessons"));
    for (const QString& name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
        LessonInfo info;
        info.number = name.section(QLatin1Char('-'), 0, 0).toInt();
        info.file = dir.filePath(name);
        const ScenarioResult r = loadScenario(info.file);
        info.title = r.ok() ? r.scenario.title : name;
        info.summary = r.ok() ? r.scenario.summary : r.error;
        lessons << info;
    }
    return lessons;
}

} // namespace lab
