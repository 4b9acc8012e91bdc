#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace lab {

class Lab;
struct AdminView;
struct AdminBackendView;

// One admin request as AdminServer hands it over: the head already passed HttpParser and the request
// rules, and the body is whole (it is small: AdminServer caps it).
struct AdminRequest {
    QByteArray method;
    QByteArray target; // origin-form: path and query
    QByteArray contentType;
    QByteArray body;
    QString peer; // the client's address, for the event log
};

struct AdminResponse {
    int status = 200;
    QByteArray contentType = QByteArrayLiteral("application/json");
    QByteArray body;
    QByteArray allow; // the Allow header of a 405
};

// The admin API's routes and what they do, apart from sockets so that a test can call it directly.
//
//   GET  /metrics                               Prometheus text (PrometheusExposition)
//   GET  /api/state                             listeners, algorithm, every backend's verdicts and counters
//   GET  /api/events?after=SEQ&limit=N          the event log, oldest first, paged by sequence
//   GET  /api/trace?after=SEQ&limit=N           sampled requests of the first HTTP listener, the same way
//   POST /api/backends/{name}/drain|enable|disable
//   PUT  /api/backends/{name}/weight            {"weight": N}
//   PUT  /api/algorithm                         {"algorithm": NAME[, "hashKey": KEY]}
//
// Every change goes through Lab (the window's path too), so it applies to the next pick, is kept in the
// lab's config and is written to the event log. A request that changes state must say Content-Type:
// application/json (415 otherwise): a browser page can send a form or text/plain to a loopback port
// without asking, but not JSON, so no web page can drain a backend. Errors are JSON
// {"error": sentence, "field": name}: 400 names the field that is wrong, 404 an unknown path or backend,
// 405 carries Allow, 409 an operation the backend's state forbids. Responses are bounded: lists are
// paged (at most kMaxPage entries).
//
// Runs on the lab's thread (it calls Lab directly); not thread-safe.
class AdminApi final {
public:
    static constexpr int kMaxPage = 500;
    static constexpr int kDefaultPage = 100;
    static constexpr int kDefaultDisableDrainMs = 5000;
    static constexpr int kMaxDisableDrainMs = 60'000;

    explicit AdminApi(Lab& lab);

    AdminResponse handle(const AdminRequest& request);

    // One backend as /api/state lists it (and the operations answer with).
    static QJsonObject backendJson(const AdminBackendView& b);
    static QJsonObject stateJson(const AdminView& view);

private:
    AdminResponse backendOperation(const AdminRequest& request, const QString& name, const QString& operation);
    AdminResponse setAlgorithm(const AdminRequest& request);
    AdminResponse events(const QByteArray& query) const;
    AdminResponse trace(const QByteArray& query) const;
    AdminResponse backendState(const QString& name) const;

    Lab& m_lab;
};

} // namespace lab
