#pragma once

#include "config/LabConfig.h"

#include <QString>

class QCommandLineOption;
class QCommandLineParser;

namespace lab {
class AdminServer;
}

namespace lab::app {

// serve's --admin option: where the admin API listens, if anywhere.
QCommandLineOption adminOption();

// Applies --admin to config->admin (it enables the API): "HOST:PORT", or "PORT" for 127.0.0.1:PORT.
// The host must be an IP address. False with a sentence in *error.
bool applyAdminOption(const QCommandLineParser& parser, const QCommandLineOption& option, AdminConfig* admin,
                      QString* error);

// Starts `server` where `admin` says (serve: only when enabled; true and nothing started otherwise).
// An address that is not loopback is the operator's explicit choice (the default is 127.0.0.1), and the
// API has no authentication, so *warning then says who can reach it. False with a sentence in *error.
bool startAdminForServe(AdminServer& server, const AdminConfig& admin, QString* warning, QString* error);

} // namespace lab::app
