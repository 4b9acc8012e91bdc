#pragma once

#include "Scenario.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QStringList>

namespace lab::teach {

// "null", "true", 3, "\"text\"", "an array": a JSON value as an error message quotes it.
QString describeJson(const QJsonValue& v);

// Reads one object of a scenario file, checking each key against what is allowed there and recording
// every problem as "<json path>: <what is allowed>" (config/LabConfig.cpp's style, whose reader is private
// to the config). Missing keys take the default; present keys must be right. Copies are cheap and share
// the error list.
class JsonReader final {
public:
    // allowed: the keys this object may have; empty: any key (an object keyed by backend names).
    JsonReader(QJsonObject obj, QString path, QStringList& errors, const QStringList& allowed);

    const QString& path() const { return m_path; }
    QString pathOf(const QString& key) const;
    // An empty key reports the object itself.
    void error(const QString& key, const QString& what);

    bool has(const char* key) const { return m_obj.contains(QLatin1String(key)); }
    QJsonValue value(const char* key) const { return m_obj.value(QLatin1String(key)); }
    QJsonValue value(const QString& key) const { return m_obj.value(key); }
    // The list every problem goes to (a reader for a nested object shares it).
    QStringList* errors() const { return m_errors; }
    QStringList keys() const { return m_obj.keys(); }

    int integer(const char* key, int def, int min, int max);
    // allowed: when non-empty, the value must be one of these.
    QString string(const char* key, const QString& def, const QStringList& allowed = {});
    QJsonArray array(const char* key);
    // The object under `key` (an error, and an empty reader, when it is something else).
    JsonReader child(const char* key, const QStringList& allowed);

    // A count: a whole number (exactly that many) or [min], [min, max], [min, null] (no upper bound).
    ValueRange countRange(const QString& key);
    // A share: [min, max] with 0 <= min <= max <= 1; `of` names what it is a share of, for the error.
    ValueRange fractionRange(const QString& key, const QString& of = QStringLiteral("the requests"));
    // true or false.
    bool boolean(const char* key, bool def);
    // Milliseconds: [min, max] or [min, null], from 0.
    ValueRange msRange(const QString& key);
    // A state expectation: "ejected", ["ejected", "breaker-open"], or {"is": ..., "during": "some|all|end"}.
    void stateSpec(const QString& key, const QStringList& allowed, QStringList* states, ScenarioCheck::During* during);
    // method, path and body of a request (traffic or a single request).
    void requestLine(QByteArray& method, QByteArray& path, QByteArray& body);

private:
    ValueRange range(const QString& key, bool integers, double lowest, std::optional<double> highest, bool needMax,
                     const QString& shape);
    QStringList stateList(const QString& key, const QJsonValue& v, const QStringList& allowed);

    QJsonObject m_obj;
    QString m_path;
    QStringList* m_errors;
};

// The backends a step may name: the lab's, plus those added by earlier steps, minus those removed.
struct KnownBackends {
    QStringList names;
    QStringList embedded;
    bool users = false; // the traffic going at this step has simulated users (expect.moved needs them)

    // False (with the error at `key`) when `name` is not a backend at this step, or is an external one
    // where `needEmbedded`; `action` is the step's action, for the message.
    bool check(JsonReader& r, const QString& key, const QString& name, bool needEmbedded, const char* action) const;
};

} // namespace lab::teach
