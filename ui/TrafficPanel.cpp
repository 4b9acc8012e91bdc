#include "TrafficPanel.h"

#include "FlowLayout.h"
#include "PanelFields.h"
#include "lab/Lab.h"
#include "loadgen/LoadGenerator.h"
#include "proxy/Proxy.h"

#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <algorithm>

namespace lab {

TrafficPanel::TrafficPanel(Lab* lab, LoadGenerator* generator, QWidget* parent)
    : QWidget(parent)
    , m_lab(lab)
    , m_generator(generator)
    , m_connections(makeSpinBox(1, LoadSpec::kMaxConcurrency, 10, QString(),
                                tr("Client connections, each with one request in flight.")))
    , m_rate(makeSpinBox(0, 1'000'000, 200, tr(" req/s"),
                         tr("Requests per second to aim for; 0 = as fast as the connections allow.")))
    , m_duration(
          makeSpinBox(1, LoadSpec::kMaxDurationMs / 1000, 30, tr(" s"), tr("The run stops by itself after this long.")))
    , m_maxRequests(makeSpinBox(0, 100'000'000, 0, QString(),
                                tr("Stop after this many requests; 0 = no limit but the duration.")))
    , m_method(new QComboBox)
    , m_path(new QLineEdit(QStringLiteral("/")))
    , m_users(makeSpinBox(0, UserSpec::kMaxUsers, 0, QString(),
                          tr("Simulated users: each its own connection from 127.0.0.(k+1), its own cookies and an "
                             "X-Lab-User header. 0 or 1: one client with the connections above.")))
    , m_pathTemplate(new QLineEdit)
    , m_arrival(new QComboBox)
    , m_burst(makeSpinBox(1, UserSpec::kMaxBurst, 10, QString(), tr("Bursts: this many requests arrive at once.")))
    , m_think(makeSpinBox(0, UserSpec::kMaxThinkMs, 0, tr(" ms"), tr("A user waits this long after each answer.")))
    , m_seed(makeSpinBox(0, 2'147'483'647, 1, QString(), tr("The same seed draws the same users and paths.")))
    , m_cookies(new QCheckBox(tr("cookies")))
    , m_userHeader(new QCheckBox(tr("X-Lab-User header")))
    , m_ownAddresses(new QCheckBox(tr("own address")))
    , m_connectionsNote(new QLabel)
    , m_start(new QPushButton(tr("&Start traffic")))
    , m_progress(new QProgressBar)
    , m_foreign(new QLabel)
    , m_status(new QLabel)
    , m_totals(new QLabel)
{
    m_cookies->setToolTip(tr("Each user keeps the cookies the proxy sets (a sticky-session cookie) and sends them "
                             "back, as a browser does."));
    m_userHeader->setToolTip(
        tr("Each request names its user (X-Lab-User: u3): a hash key or a rate limit can use it."));
    m_ownAddresses->setToolTip(tr("Each user connects from its own loopback address, 127.0.0.(k+1), so ip-hash and "
                                  "the rate limiter see a client per user; off: all from 127.0.0.1."));
    m_connectionsNote->setObjectName(QStringLiteral("trafficConnectionsNote"));
    m_connectionsNote->setWordWrap(true);
    m_foreign->setObjectName(QStringLiteral("trafficForeign"));
    m_foreign->setWordWrap(true);
    m_foreign->setAutoFillBackground(true);
    m_foreign->setMargin(4);
    {
        QPalette p = m_foreign->palette();
        p.setColor(QPalette::Window, QColor(255, 236, 170)); // the lesson panel's tint: the lesson's doing
        p.setColor(QPalette::WindowText, QColor(40, 30, 0));
        m_foreign->setPalette(p);
    }
    m_foreign->hide();
    m_status->setObjectName(QStringLiteral("trafficStatus"));
    m_status->setWordWrap(true);
    m_rate->setSpecialValueText(tr("max"));
    m_maxRequests->setSpecialValueText(tr("no limit"));
    m_method->addItems({QStringLiteral("GET"), QStringLiteral("HEAD"), QStringLiteral("POST"), QStringLiteral("PUT"),
                        QStringLiteral("DELETE")});
    m_method->setToolTip(tr("The method of every request (POST and PUT send a small body)."));
    m_path->setToolTip(tr("The path every request asks for."));
    m_users->setSpecialValueText(tr("one client"));
    m_pathTemplate->setPlaceholderText(tr("e.g. /item/{1..100} (empty: the request's path)"));
    m_pathTemplate->setToolTip(tr("Users draw one number of the range per request, uniformly, from the seed."));
    for (ArrivalProcess a : {ArrivalProcess::Constant, ArrivalProcess::Poisson, ArrivalProcess::Bursts})
        m_arrival->addItem(arrivalName(a), int(a));
    m_arrival->setToolTip(tr("How users' requests arrive at the rate above (a rate of max: each user sends as soon "
                             "as it has its answer and has thought)."));
    reload();
    m_start->setObjectName(QStringLiteral("trafficStartStop"));
    m_start->setToolTip(tr("Send traffic to the proxy from a thread of the lab (no outside tool needed)."));
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_totals->setWordWrap(true);
    m_totals->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_totals->setObjectName(QStringLiteral("trafficTotals"));

    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    auto* connections = new QHBoxLayout;
    connections->addWidget(m_connections, 1);
    connections->addWidget(m_connectionsNote);
    auto* connectionsLabel = new QLabel(tr("Co&nnections"));
    connectionsLabel->setBuddy(m_connections);
    form->addRow(connectionsLabel, connections);
    form->addRow(tr("R&ate"), m_rate);
    form->addRow(tr("&Duration"), m_duration);
    form->addRow(tr("Max req&uests"), m_maxRequests);
    auto* request = new QHBoxLayout;
    request->addWidget(m_method);
    request->addWidget(m_path, 1);
    auto* requestLabel = new QLabel(tr("Re&quest"));
    requestLabel->setBuddy(m_method);
    form->addRow(requestLabel, request);
    form->addRow(tr("&Users"), m_users);
    // The options wrap (FlowLayout): the side tab is narrow at 1366 px, and it must not scroll sideways.
    auto* userOptionsBox = new QWidget;
    auto* userOptions = new FlowLayout(userOptionsBox, 8, 2);
    userOptions->setContentsMargins(0, 0, 0, 0);
    userOptions->addWidget(m_cookies);
    userOptions->addWidget(m_userHeader);
    userOptions->addWidget(m_ownAddresses);
    form->addRow(tr("Each user"), userOptionsBox);
    form->addRow(tr("Path &template"), m_pathTemplate);
    auto* arrival = new QHBoxLayout;
    arrival->addWidget(m_arrival, 1);
    arrival->addWidget(new QLabel(tr("burst")));
    arrival->addWidget(m_burst);
    // A row whose field is a layout gets a label without a buddy from QFormLayout, and such a label shows
    // its '&' literally ("Arri&val"): these two name their first field as the buddy themselves.
    auto* arrivalLabel = new QLabel(tr("Arri&val"));
    arrivalLabel->setBuddy(m_arrival);
    arrivalLabel->setObjectName(QStringLiteral("trafficArrivalLabel"));
    form->addRow(arrivalLabel, arrival);
    auto* think = new QHBoxLayout;
    think->addWidget(m_think, 1);
    think->addWidget(new QLabel(tr("seed")));
    think->addWidget(m_seed);
    auto* thinkLabel = new QLabel(tr("Thin&k time"));
    thinkLabel->setBuddy(m_think);
    thinkLabel->setObjectName(QStringLiteral("trafficThinkLabel"));
    form->addRow(thinkLabel, think);
    // What is going first, then the form: the status that explains a shortfall is read without scrolling.
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_foreign);
    layout->addWidget(m_start);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addLayout(form);
    layout->addWidget(m_totals, 1, Qt::AlignTop);
    // A users table as wide as its backends' names must not widen the panel past its area (a clipped
    // Stop button): the label takes the width it is given.
    m_totals->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_foreign->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_pathTemplate->setMinimumWidth(0);
    m_path->setMinimumWidth(0);
    for (QWidget* w : std::initializer_list<QWidget*>{m_connections, m_rate, m_duration, m_maxRequests, m_method,
                                                      m_users, m_arrival, m_burst, m_think, m_seed}) {
        w->setFocusPolicy(Qt::StrongFocus); // a wheel does not focus it either
        w->installEventFilter(this);
    }
    connect(m_start, &QPushButton::clicked, this, &TrafficPanel::toggle);
    // Every edit is kept by the lab at once (as the algorithm is), so File > Save writes the workload shown.
    for (QSpinBox* b : {m_connections, m_rate, m_duration, m_users, m_burst, m_think, m_seed})
        connect(b, &QSpinBox::valueChanged, this, &TrafficPanel::keep);
    for (QLineEdit* e : {m_path, m_pathTemplate})
        connect(e, &QLineEdit::editingFinished, this, &TrafficPanel::keep);
    for (QComboBox* c : {m_method, m_arrival})
        connect(c, &QComboBox::currentIndexChanged, this, &TrafficPanel::keep);
    for (QCheckBox* c : {m_cookies, m_userHeader, m_ownAddresses})
        connect(c, &QCheckBox::toggled, this, &TrafficPanel::keep);
    connect(m_users, &QSpinBox::valueChanged, this, &TrafficPanel::updateUsersFields);
    connect(m_lab, &Lab::labReset, this, [this] {
        // The last run's figures are the replaced lab's: the panel starts empty for the new one (they read
        // as this lab's run; trial 9). A run still finishing its last answers shows until it is done.
        m_lastRunForgotten = true;
        m_totals->clear();
        reload();
        refresh();
    });
    refresh();
}

void TrafficPanel::reload()
{
    // A lab opened from a file shows the traffic it was saved with.
    m_loading = true;
    const TrafficConfig& saved = m_lab->config().traffic;
    m_connections->setValue(saved.connections);
    m_rate->setValue(saved.ratePerSecond);
    m_duration->setValue(saved.durationS);
    m_method->setCurrentText(saved.method);
    m_path->setText(saved.path);
    m_users->setValue(saved.users);
    m_pathTemplate->setText(saved.pathTemplate);
    m_arrival->setCurrentText(saved.arrival);
    m_burst->setValue(saved.burstSize);
    m_think->setValue(saved.thinkMs);
    m_seed->setValue(saved.seed);
    m_cookies->setChecked(saved.cookies);
    m_userHeader->setChecked(saved.userHeader);
    m_ownAddresses->setChecked(saved.ownAddresses);
    m_loading = false;
    updateUsersFields();
}

bool TrafficPanel::eventFilter(QObject* watched, QEvent* event)
{
    // A wheel over an unfocused field scrolls the tab (the event goes on to the scroll area).
    if (event->type() == QEvent::Wheel) {
        auto* w = qobject_cast<QWidget*>(watched);
        if (w && !w->hasFocus()) {
            event->ignore();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

// Simulated users send one connection each: the Connections field does not apply and says so.
void TrafficPanel::updateUsersFields()
{
    const bool users = m_users->value() >= 2;
    const bool running = m_generator->isRunning();
    m_connections->setEnabled(!users && !running);
    m_connectionsNote->setVisible(users);
    m_connectionsNote->setText(tr("not used: %1 users = %1 connections").arg(m_users->value()));
    for (QCheckBox* c : {m_cookies, m_userHeader, m_ownAddresses})
        c->setEnabled(users && !running);
}

TrafficConfig TrafficPanel::shown() const
{
    TrafficConfig t;
    t.connections = m_connections->value();
    t.ratePerSecond = m_rate->value();
    t.durationS = m_duration->value();
    t.method = m_method->currentText();
    t.path = m_path->text().trimmed();
    t.users = m_users->value();
    t.pathTemplate = m_pathTemplate->text().trimmed();
    t.arrival = m_arrival->currentText();
    t.burstSize = m_burst->value();
    t.thinkMs = m_think->value();
    t.seed = m_seed->value();
    t.cookies = m_cookies->isChecked();
    t.userHeader = m_userHeader->isChecked();
    t.ownAddresses = m_ownAddresses->isChecked();
    return t;
}

void TrafficPanel::keep()
{
    if (!m_loading)
        m_lab->setTraffic(shown());
}

void TrafficPanel::toggle()
{
    if (m_generator->isRunning()) {
        // What is in flight may finish (a stop is not a failure of the lab); see LoadGenerator::finish.
        m_generator->finish();
        Q_EMIT trafficStopped();
        refresh();
        return;
    }
    if (!m_lab->hasHttpListener()) {
        m_totals->setText(noHttpListenerText());
        return;
    }
    Proxy* p = m_lab->httpProxy();
    if (!p || !p->isListening()) {
        m_totals->setText(tr("The proxy is not running: start it first."));
        return;
    }
    LoadSpec spec;
    spec.address = p->settings().address;
    if (spec.address == QHostAddress::Any || spec.address == QHostAddress::AnyIPv4)
        spec.address = QHostAddress::LocalHost;
    spec.port = p->port();
    spec.concurrency = m_connections->value();
    spec.ratePerSecond = m_rate->value();
    spec.durationMs = m_duration->value() * 1000;
    spec.maxRequests = quint64(m_maxRequests->value());
    spec.method = m_method->currentText().toLatin1();
    spec.path = m_path->text().trimmed().toUtf8();
    spec.users.count = m_users->value();
    spec.users.pathTemplate = m_pathTemplate->text().trimmed().toUtf8();
    spec.users.arrival = ArrivalProcess(m_arrival->currentData().toInt());
    spec.users.burstSize = m_burst->value();
    spec.users.thinkMs = m_think->value();
    spec.users.seed = quint32(m_seed->value());
    spec.users.cookies = m_cookies->isChecked();
    spec.users.userHeader = m_userHeader->isChecked() ? QByteArrayLiteral("X-Lab-User") : QByteArray();
    spec.users.ownAddresses = m_ownAddresses->isChecked();
    if (spec.method == "POST" || spec.method == "PUT")
        spec.body = "{\"from\":\"balancer-lab traffic\"}";
    QString error;
    if (!m_generator->start(spec, &error)) {
        m_totals->setText(error);
        return;
    }
    m_lastRunForgotten = false;
    if (spec.users.enabled())
        m_lab->logEvent(LabEvent::Kind::Traffic,
                        tr("traffic started: %1 simulated users, %2 arrivals, think %3 ms, seed %4, %5 s")
                            .arg(spec.users.count)
                            .arg(spec.ratePerSecond
                                     ? tr("%1 at %2 req/s").arg(arrivalName(spec.users.arrival)).arg(spec.ratePerSecond)
                                     : tr("closed-loop"))
                            .arg(spec.users.thinkMs)
                            .arg(spec.users.seed)
                            .arg(spec.durationMs / 1000));
    else
        m_lab->logEvent(
            LabEvent::Kind::Traffic,
            tr("traffic started: %1 connections, %2, %3 s, %4 %5")
                .arg(spec.concurrency)
                .arg(spec.ratePerSecond ? tr("%1 req/s").arg(spec.ratePerSecond) : tr("as fast as possible"))
                .arg(spec.durationMs / 1000)
                .arg(QString::fromLatin1(spec.method), QString::fromUtf8(spec.path)));
    Q_EMIT trafficStarted(spec);
    refresh();
}

QString TrafficPanel::failureText(const LoadTotals& t)
{
    QString text;
    if (t.resets || t.cut)
        text += tr("<br><span style='color:#b02020'>no answer: %1 reset or closed by the proxy · %2 cut when the "
                   "run ended</span>")
                    .arg(t.resets)
                    .arg(t.cut);
    if (!t.failedConnects())
        return text;
    text += tr("<br><span style='color:#b02020'><b>connections failed</b>: %1 refused · %2 timed out · %3 other")
                .arg(t.refused)
                .arg(t.connectTimeouts)
                .arg(t.connectErrors);
    if (!t.lastError.isEmpty())
        text += tr(" (last: %1)").arg(t.lastError.toHtmlEscaped());
    text += QStringLiteral("</span>");
    if (t.refused && t.completed == 0)
        text += tr("<br>Nothing accepts connections on the proxy's port: is the proxy stopped?");
    return text;
}

QString TrafficPanel::usersTable(const LoadTotals& t)
{
    if (t.byUser.isEmpty())
        return {};
    QStringList backends;
    for (const auto& row : t.byUser) {
        for (auto it = row.cbegin(); it != row.cend(); ++it) {
            if (!backends.contains(it.key()))
                backends << it.key();
        }
    }
    backends.sort();
    QString html =
        QStringLiteral("<table cellspacing='0' cellpadding='2'><tr><th align='left'>%1</th>").arg(tr("user"));
    for (const QString& b : std::as_const(backends))
        html += QStringLiteral("<th align='right'>%1</th>").arg(b.toHtmlEscaped());
    html += QStringLiteral("</tr>");
    // Users in their number order (u2 before u10), not the map's text order.
    QStringList users = t.byUser.keys();
    std::sort(users.begin(), users.end(),
              [](const QString& a, const QString& b) { return a.mid(1).toInt() < b.mid(1).toInt(); });
    for (int i = 0; i < qMin<int>(kUserRows, users.size()); ++i) {
        const QMap<QString, quint64> row = t.byUser.value(users[i]);
        html += QStringLiteral("<tr><td>%1</td>").arg(users[i]);
        for (const QString& b : std::as_const(backends))
            html += QStringLiteral("<td align='right'>%1</td>").arg(row.value(b));
        html += QStringLiteral("</tr>");
    }
    html += QStringLiteral("</table>");
    if (users.size() > kUserRows)
        html += tr("and %1 more users").arg(users.size() - kUserRows);
    return tr("<br>requests per user and backend:") + html;
}

QString TrafficPanel::foreignText(const ForeignTraffic& f)
{
    QString text =
        tr("<b>Traffic sent by %1</b> (it started it; its steps change and stop it):").arg(f.who.toHtmlEscaped());
    for (const ScenarioTraffic::RunView& r : f.runs) {
        const TrafficProfile& p = r.profile;
        const LoadTotals& t = r.totals;
        const QString who = p.users.enabled()
            ? tr("%1 simulated users (%2, think %3 ms)")
                  .arg(p.users.count)
                  .arg(p.users.cookies ? tr("with cookies") : tr("no cookies"))
                  .arg(p.users.thinkMs)
            : (p.connections == 1 ? tr("1 connection") : tr("%1 connections").arg(p.connections));
        const QString rate = p.ratePerSecond ? tr("%1 req/s").arg(p.ratePerSecond) : tr("as fast as answered");
        const QString until =
            p.durationMs ? tr("for %1 s").arg(double(p.durationMs) / 1000.0) : tr("until the lesson stops it");
        const double seconds = qMax<qint64>(1, t.elapsedMs) / 1000.0;
        text += tr("<br>%1%2 · %3 · %4 %5 · %6<br>&nbsp;&nbsp;so far: sent %7 · answered %8 (%9 req/s) · 4xx %10 · 5xx "
                   "%11 · no answer %12")
                    .arg(p.name.isEmpty() ? QString() : tr("run \"%1\": ").arg(p.name.toHtmlEscaped()))
                    .arg(who, rate, QString::fromLatin1(p.method),
                         QString::fromUtf8(p.users.enabled() && !p.users.pathTemplate.isEmpty() ? p.users.pathTemplate
                                                                                                : p.path)
                             .toHtmlEscaped(),
                         until)
                    .arg(t.sent)
                    .arg(t.completed)
                    .arg(double(t.completed) / seconds, 0, 'f', 0)
                    .arg(t.byClass[4])
                    .arg(t.byClass[5])
                    .arg(t.socketErrors);
        if (t.notSent)
            text += tr(" · %1 not sent when due: all its connections were still waiting for answers").arg(t.notSent);
    }
    text += tr("<br>The form below starts traffic of your own, on top of it.");
    return text;
}

void TrafficPanel::refresh()
{
    const ForeignTraffic foreign = m_foreignSource ? m_foreignSource() : ForeignTraffic{};
    m_foreign->setVisible(!foreign.runs.isEmpty());
    if (!foreign.runs.isEmpty())
        m_foreign->setText(foreignText(foreign));
    const LoadTotals t = m_generator->totals();
    const bool running = m_generator->isRunning();
    const bool finishing = m_generator->isFinishing();
    m_start->setText(finishing     ? tr("Stopping: the last answers…")
                         : running ? tr("&Stop traffic")
                                   : tr("&Start traffic"));
    for (QWidget* w : std::initializer_list<QWidget*>{m_rate, m_duration, m_maxRequests, m_method, m_path, m_users,
                                                      m_pathTemplate, m_arrival, m_burst, m_think, m_seed})
        w->setEnabled(!running);
    updateUsersFields();
    m_progress->setValue(int(t.progress() * 1000));
    const bool http = m_lab->hasHttpListener();
    m_start->setEnabled((running && !finishing) || (!running && http));
    if (!running && ((t.sent == 0 && !t.failedConnects()) || m_lastRunForgotten)) {
        m_progress->setValue(0); // (another lab: the last run's full bar is not this lab's)
        m_wasRunning = false;
        m_status->clear();
        m_status->setVisible(false);
        if (!http)
            m_totals->setText(noHttpListenerText());
        else if (m_totals->text().isEmpty() || m_totals->text() == noHttpListenerText())
            m_totals->setText(tr("Start a run to send requests through the proxy and watch the board and charts."));
        return;
    }
    const double seconds = qMax<qint64>(1, t.elapsedMs) / 1000.0;
    QString text = tr("<b>%1</b> · %2 of %3 s<br>sent %4 · answered %5 (%6 req/s)<br>2xx %7 · 3xx %8 · 4xx %9 · 5xx "
                      "%10 · no answer %11")
                       .arg(running               ? tr("running")
                                : t.stoppedByUser ? tr("stopped")
                                                  : tr("finished"))
                       .arg(t.elapsedMs / 1000.0, 0, 'f', 1)
                       .arg(t.durationMs / 1000)
                       .arg(t.sent)
                       .arg(t.completed)
                       .arg(double(t.completed) / seconds, 0, 'f', 0)
                       .arg(t.byClass[2])
                       .arg(t.byClass[3])
                       .arg(t.byClass[4])
                       .arg(t.byClass[5])
                       .arg(t.socketErrors);
    text += failureText(t);
    // The one line read without scrolling: where the run stands, and why it sends less than asked.
    // An average over the whole run, and said so: the status bar's rate is the last second's (trial 8: "124
    // req/s answered" beside a bar at 200/s read as a contradiction after a slow first few seconds).
    QString status = tr("<b>%1</b> · %2 responses/s (any status) on average since the start")
                         .arg(finishing     ? tr("stopping")
                                  : running ? tr("running")
                                            : (t.stoppedByUser ? tr("stopped") : tr("finished")))
                         .arg(double(t.completed) / seconds, 0, 'f', 0);
    if (t.notSent)
        status += t.failedConnects() || t.resets
            ? tr(" · <b>%1 not sent</b>: no connection was ready (they were failing, see below)").arg(t.notSent)
            : tr(" · <b>%1 not sent</b>: every connection was still waiting for its answer (the proxy is slower "
                 "than the rate: more connections, or a lower rate)")
                  .arg(t.notSent);
    if (t.cancelled)
        status += tr(" · %1 cancelled by the stop (not failures)").arg(t.cancelled);
    m_status->setText(status);
    m_status->setVisible(true);
    if (t.cancelled)
        text += tr("<br>cancelled by stop: %1 (in flight when the traffic was stopped; not failures)").arg(t.cancelled);
    if (t.latency.total)
        text += tr("<br>latency p50 %1 ms · p99 %2 ms")
                    .arg(t.latency.percentileMs(50), 0, 'f', 2)
                    .arg(t.latency.percentileMs(99), 0, 'f', 2);
    if (!t.byBackend.isEmpty()) {
        QStringList parts;
        for (auto it = t.byBackend.cbegin(); it != t.byBackend.cend(); ++it)
            parts << QStringLiteral("%1 %2").arg(it.key()).arg(it.value());
        text += tr("<br>served by: %1").arg(parts.join(QStringLiteral(" · ")));
    }
    text += usersTable(t);
    m_totals->setText(text);
    if (m_wasRunning && !running)
        m_lab->logEvent(LabEvent::Kind::Traffic,
                        t.failedConnects() ? tr("traffic %1: %2 answered, %3 without an answer, %4 connection attempts "
                                                "failed (%5 refused)")
                                                 .arg(t.stoppedByUser ? tr("stopped") : tr("finished"))
                                                 .arg(t.completed)
                                                 .arg(t.socketErrors)
                                                 .arg(t.failedConnects())
                                                 .arg(t.refused)
                                           : tr("traffic %1: %2 answered, %3 without an answer")
                                                 .arg(t.stoppedByUser ? tr("stopped") : tr("finished"))
                                                 .arg(t.completed)
                                                 .arg(t.socketErrors));
    m_wasRunning = running;
}

} // namespace lab
