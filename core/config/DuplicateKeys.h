#pragma once

#include <QJsonObject>

#include <QByteArray>
#include <QStringList>

namespace lab {

// QJsonDocument keeps one of two equal keys in an object without a word, so `"port": 8001, "port": 8002`
// would load as one of them. Appends to `errors`, for every key that repeats within one object, a line
// "<json path>: appears twice in one object (lines A and B); ...". `json` must already have parsed as
// valid JSON. Linear in the text.
void findDuplicateKeys(const QByteArray& json, QStringList& errors);
// Reads the top-level JSON object of a file: false with "FILE:LINE:COL: not valid JSON: ..." or "FILE: the
// top level must be a JSON object" in *error. The lab config and scenario parsers both start here.
bool readJsonObject(const QByteArray& json, const QString& sourceName, QJsonObject* out, QString* error);

} // namespace lab
