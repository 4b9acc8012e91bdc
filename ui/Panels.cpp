#include "Panels.h"

#include "backends/FakeBackend.h"
#include "balancing/Balancer.h"
#include "config/ConfigSchema.h"
#include "lab/Lab.h"
#include "loadgen/LoadGenerator.h"
#include "metrics/RequestTrace.h"
#include "proxy/Proxy.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace lab {

namespace {

QSpinBox* spin(int min, int max, int value, const QString& suffix, const QString& tip)
{
    auto* s = new QSpinBox;
    s->setRange(min, max);
    s->setValue(value);
    s->setSuffix(suffix);
    s->setToolTip(tip);
    s->setKeyboardTracking(false); // valueChanged on Enter / arrows / focus out, not on every digit
    s->setAccelerated(true);
    return s;
}

// A spin box for a config setting: the schema's range, the setting's default, the key's name as object name.
template <typename Section> QSpinBox* spin(int Section::*member, const QString& suffix, const QString& tip)
{
    const schema::Key<Section>& key = schema::keyOf(member);
    QSpinBox* s = spin(int(key.range.min), int(key.range.max), Section{}.*member, suffix, tip);
    s->setObjectName(QLatin1String(key.name));
    return s;
}

QCheckBox* check(const QString& text, const QString& tip)
{
    auto* c = new QCheckBox(text);
    c->setToolTip(tip);
    return c;
}

} // namespace

QString noHttpListenerText()
{
    return QCoreApplication::translate("lab::Panels",
                                       "<b>No HTTP listener</b> in this lab (its listeners relay TCP): the "
                                       "console and the traffic generator send HTTP. Add a listener with "
                                       "\"kind\": \"http\" to the lab's config to use them.");
}

// ---- BackendPanel -------------------------------------------------------------------------------------

BackendPanel::BackendPanel(Lab* lab, QWidget* parent)
    : QWidget(parent)
    , m_lab(lab)
    , m_title(new QLabel)
    , m_drain(check(tr("Drain"), tr("Take it out of rotation gently: no new requests, the ones in flight finish.")))
    , m_faultBox(new QWidget)
    , m_latency(spin(&FaultProfile::latencyMs, tr(" ms"), tr("Added before every answer: a slow backend.")))
    , m_jitter(spin(&FaultProfile::jitterMs, tr(" ms"),
                    tr("Plus a random 0..jitter ms on top of the latency: an uneven backend.")))
    , m_errorRate(new QDoubleSpinBox)
    , m_healthFails(check(tr("/health fails"),
                          tr("/health answers 503 while normal requests are still served: what a health check sees.")))
    , m_onlyPaths(new QLineEdit)
    , m_capacity(spin(&FaultProfile::capacity, QString(),
                      tr("At most this many requests in progress; more get 503. 0 = unlimited.")))
    , m_hang(check(tr("Hang"), tr("Accept requests and never answer: only a timeout saves the client.")))
    , m_refuse(check(tr("Refuse"), tr("Close the listening port: connections are refused, as when a process dies.")))
    , m_healthBox(new QWidget)
    , m_probe(check(tr("Probe it"), tr("Send this backend active health probes; off = only real traffic judges it.")))
    , m_probeType(new QComboBox)
    , m_probePath(new QLineEdit)
    , m_interval(spin(&HealthConfig::intervalMs, tr(" ms"),
                      tr("Time between two probes (plus or minus 10%, so probes do not synchronise).")))
    , m_timeout(spin(&HealthConfig::timeoutMs, tr(" ms"), tr("A probe without an answer by then counts as failed.")))
    , m_rise(spin(&HealthConfig::rise, QString(), tr("Passed probes in a row that bring a down backend back up.")))
    , m_fall(spin(&HealthConfig::fall, QString(), tr("Failed probes in a row that take an up backend down.")))
{
    m_probeType->addItems(schema::keyOf(&HealthConfig::type).allowed());
    m_probeType->setToolTip(tr("http: GET the path and expect a 2xx/3xx answer; tcp: a connection is enough."));
    m_probePath->setToolTip(tr("The path an HTTP probe asks for."));
    auto* health = new QFormLayout(m_healthBox);
    health->setContentsMargins(0, 0, 0, 0);
    auto* probeLine = new QHBoxLayout;
    probeLine->addWidget(m_probe);
    probeLine->addWidget(m_probeType);
    probeLine->addWidget(m_probePath, 1);
    health->addRow(probeLine);
    auto* timing = new QHBoxLayout;
    timing->addWidget(m_interval);
    timing->addWidget(new QLabel(tr("timeout")));
    timing->addWidget(m_timeout);
    health->addRow(tr("Every"), timing);
    auto* thresholds = new QHBoxLayout;
    thresholds->addWidget(new QLabel(tr("rise")));
    thresholds->addWidget(m_rise);
    thresholds->addWidget(new QLabel(tr("fall")));
    thresholds->addWidget(m_fall);
    thresholds->addStretch(1);
    health->addRow(thresholds);
    for (QSpinBox* s : {m_interval, m_timeout, m_rise, m_fall})
        connect(s, &QSpinBox::valueChanged, this, &BackendPanel::applyHealth);
    connect(m_probe, &QCheckBox::toggled, this, &BackendPanel::applyHealth);
    connect(m_probeType, &QComboBox::currentIndexChanged, this, &BackendPanel::applyHealth);
    connect(m_probePath, &QLineEdit::editingFinished, this, &BackendPanel::applyHealth);

    m_errorRate->setRange(double(schema::rangeOf(&FaultProfile::errorRatePercent).min),
                          double(schema::rangeOf(&FaultProfile::errorRatePercent).max));
    m_errorRate->setDecimals(1);
    m_errorRate->setSuffix(tr(" %"));
    m_errorRate->setKeyboardTracking(false);
    m_errorRate->setToolTip(tr("Share of requests answered 500 Internal Server Error."));
    m_onlyPaths->setPlaceholderText(tr("all paths"));
    m_onlyPaths->setToolTip(tr("Comma-separated paths it serves (and below); others get 404. Empty = all."));
    m_title->setWordWrap(true);

    auto* faults = new QFormLayout(m_faultBox);
    faults->setContentsMargins(0, 0, 0, 0);
    faults->addRow(tr("Latency"), m_latency);
    faults->addRow(tr("Jitter"), m_jitter);
    faults->addRow(tr("Error rate"), m_errorRate);
    faults->addRow(tr("Capacity"), m_capacity);
    faults->addRow(tr("Only paths"), m_onlyPaths);
    auto* flags = new QGridLayout;
    flags->addWidget(m_healthFails, 0, 0);
    flags->addWidget(m_hang, 0, 1);
    flags->addWidget(m_refuse, 1, 0);
    faults->addRow(flags);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(m_drain);
    auto* faultsTitle = new QLabel(tr("<b>Faults</b> (embedded backends)"));
    layout->addWidget(faultsTitle);
    layout->addWidget(m_faultBox);
    layout->addWidget(new QLabel(tr("<b>Health checks</b> for this backend")));
    layout->addWidget(m_healthBox);
    layout->addStretch(1);

    connect(m_drain, &QCheckBox::toggled, this, [this](bool on) {
        if (!m_loading && m_row >= 0)
            m_lab->setDraining(m_row, on);
    });
    for (QSpinBox* s : {m_latency, m_jitter, m_capacity})
        connect(s, &QSpinBox::valueChanged, this, &BackendPanel::apply);
    connect(m_errorRate, &QDoubleSpinBox::valueChanged, this, &BackendPanel::apply);
    for (QCheckBox* c : {m_healthFails, m_hang, m_refuse})
        connect(c, &QCheckBox::toggled, this, &BackendPanel::apply);
    connect(m_onlyPaths, &QLineEdit::editingFinished, this, &BackendPanel::apply);
    setRow(-1);
}

void BackendPanel::setRow(int row)
{
    m_row = row < m_lab->backendCount() ? row : -1;
    reload();
}

void BackendPanel::reload()
{
    if (m_row >= m_lab->backendCount())
        m_row = -1;
    m_loading = true;
    const bool valid = m_row >= 0;
    const FakeBackend* fake = valid ? m_lab->embeddedBackend(m_row) : nullptr;
    m_drain->setEnabled(valid && m_lab->poolBackend(m_row));
    m_drain->setChecked(valid && m_lab->isDraining(m_row));
    m_faultBox->setEnabled(fake != nullptr);
    m_healthBox->setEnabled(valid);
    if (valid) {
        const HealthConfig h = m_lab->config().healthFor(m_lab->backendConfig(m_row));
        m_probe->setChecked(h.enabled);
        m_probeType->setCurrentText(h.type);
        m_probePath->setText(h.path);
        m_probePath->setEnabled(h.type == QLatin1String("http"));
        m_interval->setValue(h.intervalMs);
        m_timeout->setValue(h.timeoutMs);
        m_rise->setValue(h.rise);
        m_fall->setValue(h.fall);
    }
    if (!valid) {
        m_title->setText(tr("<b>Select a backend</b> on the board to drain it or inject faults."));
    } else {
        const BackendConfig& c = m_lab->backendConfig(m_row);
        m_title->setText(
            fake ? tr("<b>%1</b> (embedded, %2:%3): faults apply to the next request.").arg(c.name, c.host).arg(c.port)
                 : tr("<b>%1</b> (external, %2:%3): fault knobs exist only for embedded backends.")
                       .arg(c.name, c.host)
                       .arg(c.port));
        const FaultProfile f = fake ? fake->faults() : FaultProfile{};
        m_latency->setValue(f.latencyMs);
        m_jitter->setValue(f.jitterMs);
        m_errorRate->setValue(f.errorRatePercent);
        m_healthFails->setChecked(f.healthFails);
        m_onlyPaths->setText(f.onlyPaths.join(QStringLiteral(", ")));
        m_capacity->setValue(f.capacity);
        m_hang->setChecked(f.hang);
        m_refuse->setChecked(f.refuse);
    }
    m_loading = false;
}

void BackendPanel::applyHealth()
{
    if (m_loading || m_row < 0)
        return;
    HealthConfig h = m_lab->config().healthFor(m_lab->backendConfig(m_row));
    h.enabled = m_probe->isChecked();
    h.type = m_probeType->currentText();
    QString path = m_probePath->text().trimmed();
    h.path = path.startsWith(QLatin1Char('/')) ? path : QLatin1Char('/') + path;
    h.intervalMs = m_interval->value();
    h.timeoutMs = m_timeout->value();
    h.rise = m_rise->value();
    h.fall = m_fall->value();
    m_probePath->setEnabled(h.type == QLatin1String("http"));
    m_lab->setBackendHealth(m_row, h);
}

void BackendPanel::apply()
{
    if (m_loading || m_row < 0 || !m_lab->embeddedBackend(m_row))
        return;
    FaultProfile f;
    f.latencyMs = m_latency->value();
    f.jitterMs = m_jitter->value();
    f.errorRatePercent = m_errorRate->value();
    f.healthFails = m_healthFails->isChecked();
    for (const QString& p : m_onlyPaths->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString path = p.trimmed();
        if (!path.isEmpty())
            f.onlyPaths << (path.startsWith(QLatin1Char('/')) ? path : QLatin1Char('/') + path);
    }
    f.capacity = m_capacity->value();
    f.hang = m_hang->isChecked();
    f.refuse = m_refuse->isChecked();
    m_lab->setFaults(m_row, f);
}

// ---- ProxyPanel ---------------------------------------------------------------------------------------

ProxyPanel::ProxyPanel(Lab* lab, QWidget* parent)
    : QWidget(parent)
    , m_lab(lab)
    , m_address(new QLineEdit)
    , m_port(spin(&ListenerConfig::port, QString(), tr("The proxy's port; clients connect here (0 = any free port).")))
    , m_startStop(new QPushButton)
    , m_algorithm(new QComboBox)
    , m_hashKey(new QLineEdit)
    , m_sticky(check(tr("Sticky"),
                     tr("Sticky sessions: the first response sets a cookie naming the backend; later requests with it "
                        "go there while it is eligible.")))
    , m_retries(
          spin(&RetryConfig::retries, QString(), tr("How many other backends a failed request may be retried on.")))
    , m_connectTimeout(spin(&TimeoutsConfig::connectMs, tr(" ms"),
                            tr("How long the proxy waits for a backend to accept a connection.")))
    , m_responseTimeout(spin(&TimeoutsConfig::upstreamResponseMs, tr(" ms"),
                             tr("How long the proxy waits for a backend's response before answering 504.")))
    , m_apply(new QPushButton(tr("Apply")))
{
    m_address->setToolTip(tr("The IP address the proxy listens on (127.0.0.1: this machine only)."));
    m_address->setMaximumWidth(100);
    m_address->setObjectName(QStringLiteral("listenerAddress"));
    m_address->setPlaceholderText(tr("no HTTP")); // the field is narrow; the tooltip and status bar say more
    m_port->setObjectName(QStringLiteral("listenerPort"));
    m_startStop->setObjectName(QStringLiteral("proxyStartStop"));
    m_apply->setToolTip(tr("Apply the listener, retries and timeouts to the running proxy (a new port re-listens)."));
    m_algorithm->setObjectName(QStringLiteral("algorithm"));
    m_algorithm->setMaximumWidth(180);
    m_hashKey->setObjectName(QStringLiteral("hashKey"));
    m_hashKey->setMaximumWidth(90);
    m_hashKey->setPlaceholderText(tr("hash key"));
    m_hashKey->setToolTip(
        tr("What ring-hash and maglev hash: client, path, header:NAME or cookie:NAME. Enter applies it."));
    m_sticky->setObjectName(QStringLiteral("sticky"));
    m_algorithm->setToolTip(tr("How the proxy picks a backend for each request; switching is live."));
    for (const QString& a : knownAlgorithms()) {
        m_algorithm->addItem(a, a);
        m_algorithm->setItemData(m_algorithm->count() - 1, algorithmSummary(a), Qt::ToolTipRole);
    }
    m_retryButton = new QToolButton;
    m_retryButton->setObjectName(QStringLiteral("retryOn"));
    m_retryButton->setPopupMode(QToolButton::InstantPopup);
    m_retryButton->setToolTip(tr("Which failures move a request to another backend."));
    auto* menu = new QMenu(m_retryButton);
    const QStringList conditions = knownRetryConditions();
    for (const QString& c : conditions) {
        QAction* a = menu->addAction(c);
        a->setCheckable(true);
        a->setToolTip(c == QLatin1String("connect-failure")
                          ? tr("Retry when the connection is refused or times out (nothing reached the backend).")
                          : c == QLatin1String("timeout")
                          ? tr("Retry an idempotent request when the backend does not answer in time.")
                          : c == QLatin1String("5xx")
                          ? tr("Retry an idempotent request that got a 5xx answer on another backend.")
                          : tr("Retry an idempotent request that got this status on another backend."));
        a->setProperty("condition", c);
        connect(a, &QAction::toggled, this, &ProxyPanel::updateRetryButton);
        m_retryOn << a;
    }
    menu->setToolTipsVisible(true);
    m_retryButton->setMenu(menu);
    m_address->setMinimumWidth(90);
    m_hashKey->setMinimumWidth(80);
    m_connectTimeout->setMaximumWidth(90);
    m_responseTimeout->setMaximumWidth(100);
    m_retryButton->setMaximumWidth(120);
    m_port->setMaximumWidth(70);

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    auto label = [](const QString& text, QWidget* buddy) {
        auto* l = new QLabel(text);
        l->setBuddy(buddy);
        return l;
    };
    layout->addWidget(label(tr("L&istener"), m_address));
    layout->addWidget(m_address);
    layout->addWidget(new QLabel(QStringLiteral(":")));
    layout->addWidget(m_port);
    layout->addWidget(m_startStop);
    layout->addSpacing(4);
    layout->addWidget(label(tr("Al&gorithm"), m_algorithm));
    layout->addWidget(m_algorithm);
    layout->addWidget(m_hashKey);
    layout->addWidget(m_sticky);
    layout->addSpacing(4);
    layout->addWidget(label(tr("&Retries"), m_retries));
    layout->addWidget(m_retries);
    layout->addWidget(new QLabel(tr("on")));
    layout->addWidget(m_retryButton);
    layout->addSpacing(4);
    layout->addWidget(label(tr("&Connect"), m_connectTimeout));
    layout->addWidget(m_connectTimeout);
    layout->addWidget(label(tr("Res&ponse"), m_responseTimeout));
    layout->addWidget(m_responseTimeout);
    layout->addWidget(m_apply);
    layout->addStretch(1);

    connect(m_algorithm, &QComboBox::activated, this, [this] {
        QString error;
        if (!m_lab->setAlgorithm(m_algorithm->currentData().toString(), &error))
            Q_EMIT message(error);
    });
    connect(m_apply, &QPushButton::clicked, this, &ProxyPanel::applyOptions);
    connect(m_hashKey, &QLineEdit::editingFinished, this, [this] {
        QString error;
        if (m_hashKey->text().trimmed() != m_lab->config().hashKey &&
            !m_lab->setHashKey(m_hashKey->text().trimmed(), &error))
            Q_EMIT message(error);
    });
    connect(m_sticky, &QCheckBox::toggled, this, [this](bool on) {
        StickyConfig s = m_lab->config().sticky;
        s.enabled = on;
        QString error;
        if (!m_lab->setSticky(s, &error))
            Q_EMIT message(error);
    });
    connect(m_startStop, &QPushButton::clicked, this, &ProxyPanel::toggleProxy);
    connect(m_lab, &Lab::proxyStateChanged, this, &ProxyPanel::reload);
    connect(m_lab, &Lab::labReset, this, &ProxyPanel::reload);
    reload();
}

void ProxyPanel::reload()
{
    const LabConfig& c = m_lab->config();
    const ListenerConfig* http = nullptr;
    for (const ListenerConfig& l : c.listeners) {
        if (l.kind == ListenerKind::Http) {
            http = &l;
            break;
        }
    }
    // The address and port here are the first HTTP listener's, wherever it is in the list; a lab of TCP
    // relays only has none to show, and says so.
    m_address->setText(http ? http->address : QString());
    m_address->setEnabled(http != nullptr);
    m_address->setToolTip(http ? tr("The IP address the HTTP listener listens on (127.0.0.1: this machine only).")
                               : noHttpListenerText());
    Proxy* p = m_lab->httpProxy();
    m_port->setValue(p && p->isListening() ? p->port() : http ? http->port : 0);
    m_port->setEnabled(http != nullptr);
    const bool running = m_lab->proxiesRunning();
    m_startStop->setText(running ? tr("Stop proxy") : tr("Start proxy"));
    m_startStop->setToolTip(running ? tr("Stop accepting; requests in flight get 2 s to finish.")
                                    : tr("Start listening for clients."));
    m_startStop->setEnabled(!c.listeners.isEmpty());
    m_algorithm->setCurrentIndex(m_algorithm->findData(c.algorithm));
    m_hashKey->setText(c.hashKey);
    m_hashKey->setEnabled(c.algorithm == QLatin1String("ring-hash") || c.algorithm == QLatin1String("maglev"));
    {
        const QSignalBlocker block(m_sticky);
        m_sticky->setChecked(c.sticky.enabled);
    }
    m_retries->setValue(c.retry.retries);
    for (QAction* a : std::as_const(m_retryOn))
        a->setChecked(c.retry.retryOn.contains(a->property("condition").toString()));
    updateRetryButton();
    m_connectTimeout->setValue(c.timeouts.connectMs);
    m_responseTimeout->setValue(c.timeouts.upstreamResponseMs);
}

void ProxyPanel::updateRetryButton()
{
    QStringList on;
    for (QAction* a : std::as_const(m_retryOn)) {
        if (a->isChecked())
            on << a->text().section(QLatin1Char('-'), 0, 0); // "connect-failure" -> "connect"
    }
    m_retryButton->setText(on.isEmpty() ? tr("nothing") : on.join(QStringLiteral(", ")));
}

void ProxyPanel::applyOptions()
{
    RetryConfig retry = m_lab->config().retry;
    retry.retries = m_retries->value();
    retry.retryOn.clear();
    for (QAction* a : std::as_const(m_retryOn)) {
        if (a->isChecked())
            retry.retryOn << a->property("condition").toString();
    }
    TimeoutsConfig timeouts = m_lab->config().timeouts;
    timeouts.connectMs = m_connectTimeout->value();
    timeouts.upstreamResponseMs = m_responseTimeout->value();
    ListenerConfig listener;
    listener.address = m_address->text().trimmed();
    listener.port = m_port->value();
    QString error;
    if (!m_lab->setProxyOptions(retry, timeouts, listener, &error))
        Q_EMIT message(error);
    reload();
}

void ProxyPanel::toggleProxy()
{
    if (m_lab->proxiesRunning()) {
        m_lab->stopProxies(2000);
    } else {
        QString error;
        if (!m_lab->startProxies(&error))
            Q_EMIT message(error);
    }
    reload();
}

// ---- TrafficPanel -------------------------------------------------------------------------------------

TrafficPanel::TrafficPanel(Lab* lab, LoadGenerator* generator, QWidget* parent)
    : QWidget(parent)
    , m_lab(lab)
    , m_generator(generator)
    , m_connections(
          spin(1, LoadSpec::kMaxConcurrency, 10, QString(), tr("Client connections, each with one request in flight.")))
    , m_rate(spin(0, 1'000'000, 200, tr(" req/s"),
                  tr("Requests per second to aim for; 0 = as fast as the connections allow.")))
    , m_duration(spin(1, LoadSpec::kMaxDurationMs / 1000, 30, tr(" s"), tr("The run stops by itself after this long.")))
    , m_maxRequests(
          spin(0, 100'000'000, 0, QString(), tr("Stop after this many requests; 0 = no limit but the duration.")))
    , m_method(new QComboBox)
    , m_path(new QLineEdit(QStringLiteral("/")))
    , m_start(new QPushButton(tr("&Start traffic")))
    , m_progress(new QProgressBar)
    , m_totals(new QLabel)
{
    m_rate->setSpecialValueText(tr("max"));
    m_maxRequests->setSpecialValueText(tr("no limit"));
    m_method->addItems({QStringLiteral("GET"), QStringLiteral("HEAD"), QStringLiteral("POST"), QStringLiteral("PUT"),
                        QStringLiteral("DELETE")});
    m_method->setToolTip(tr("The method of every request (POST and PUT send a small body)."));
    m_path->setToolTip(tr("The path every request asks for."));
    m_start->setObjectName(QStringLiteral("trafficStartStop"));
    m_start->setToolTip(tr("Send traffic to the proxy from a thread of the lab (no outside tool needed)."));
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_totals->setWordWrap(true);
    m_totals->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_totals->setObjectName(QStringLiteral("trafficTotals"));

    auto* form = new QFormLayout;
    form->addRow(tr("Co&nnections"), m_connections);
    form->addRow(tr("R&ate"), m_rate);
    form->addRow(tr("&Duration"), m_duration);
    form->addRow(tr("Max req&uests"), m_maxRequests);
    auto* request = new QHBoxLayout;
    request->addWidget(m_method);
    request->addWidget(m_path, 1);
    form->addRow(tr("Request"), request);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_start);
    layout->addWidget(m_progress);
    layout->addWidget(m_totals, 1, Qt::AlignTop);
    connect(m_start, &QPushButton::clicked, this, &TrafficPanel::toggle);
    refresh();
}

void TrafficPanel::toggle()
{
    if (m_generator->isRunning()) {
        m_generator->stop();
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
    if (spec.method == "POST" || spec.method == "PUT")
        spec.body = "{\"from\":\"balancer-lab traffic\"}";
    QString error;
    if (!m_generator->start(spec, &error)) {
        m_totals->setText(error);
        return;
    }
    m_lab->logEvent(LabEvent::Kind::Traffic,
                    tr("traffic started: %1 connections, %2, %3 s, %4 %5")
                        .arg(spec.concurrency)
                        .arg(spec.ratePerSecond ? tr("%1 req/s").arg(spec.ratePerSecond) : tr("as fast as possible"))
                        .arg(spec.durationMs / 1000)
                        .arg(QString::fromLatin1(spec.method), QString::fromUtf8(spec.path)));
    refresh();
}

void TrafficPanel::refresh()
{
    const LoadTotals t = m_generator->totals();
    const bool running = m_generator->isRunning();
    m_start->setText(running ? tr("&Stop traffic") : tr("&Start traffic"));
    for (QWidget* w :
         std::initializer_list<QWidget*>{m_connections, m_rate, m_duration, m_maxRequests, m_method, m_path})
        w->setEnabled(!running);
    m_progress->setValue(int(t.progress() * 1000));
    const bool http = m_lab->hasHttpListener();
    m_start->setEnabled(running || http);
    if (t.sent == 0 && !running) {
        if (!http)
            m_totals->setText(noHttpListenerText());
        else if (m_totals->text().isEmpty() || m_totals->text() == noHttpListenerText())
            m_totals->setText(tr("Start a run to send requests through the proxy and watch the board and charts."));
        return;
    }
    const double seconds = qMax<qint64>(1, t.elapsedMs) / 1000.0;
    QString text = tr("<b>%1</b> · %2 of %3 s<br>sent %4 · answered %5 (%6 req/s)<br>2xx %7 · 3xx %8 · 4xx %9 · 5xx "
                      "%10 · no answer %11")
                       .arg(running ? tr("running") : tr("finished"))
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
    if (t.notSent)
        text += tr("<br>%1 not sent: every connection was still waiting (the proxy is slower than the rate)")
                    .arg(t.notSent);
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
    m_totals->setText(text);
    if (m_wasRunning && !running)
        m_lab->logEvent(LabEvent::Kind::Traffic,
                        tr("traffic finished: %1 answered, %2 without an answer").arg(t.completed).arg(t.socketErrors));
    m_wasRunning = running;
}

// ---- ConsolePanel -------------------------------------------------------------------------------------

ConsolePanel::ConsolePanel(Lab* lab, QWidget* parent)
    : QWidget(parent)
    , m_lab(lab)
    , m_client(new ConsoleClient(this))
    , m_method(new QComboBox)
    , m_path(new QLineEdit(QStringLiteral("/")))
    , m_headers(new QPlainTextEdit)
    , m_body(new QPlainTextEdit)
    , m_send(new QPushButton(tr("Send")))
    , m_result(new QLabel)
    , m_attempts(new QLabel)
    , m_response(new QPlainTextEdit)
{
    m_method->setEditable(true);
    m_method->addItems({QStringLiteral("GET"), QStringLiteral("POST"), QStringLiteral("PUT"), QStringLiteral("DELETE"),
                        QStringLiteral("HEAD"), QStringLiteral("PATCH"), QStringLiteral("OPTIONS")});
    m_method->setToolTip(tr("The request method (any token is allowed)."));
    m_path->setToolTip(tr("The request target, e.g. /api/users?id=42."));
    m_headers->setPlaceholderText(tr("Extra headers, one per line: Name: value"));
    m_headers->setToolTip(tr("Sent as typed; Host, Content-Length and Connection are set by the console."));
    m_body->setPlaceholderText(tr("Body (sent with Content-Length)"));
    m_headers->setMaximumHeight(54);
    m_body->setMaximumHeight(54);
    m_send->setObjectName(QStringLiteral("consoleSend"));
    m_send->setToolTip(tr("Send the request through the proxy (Ctrl+Return)."));
    m_send->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
    m_result->setObjectName(QStringLiteral("consoleResult"));
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_attempts->setWordWrap(true);
    m_attempts->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_response->setReadOnly(true);
    m_response->setPlaceholderText(tr("The response's status line, headers and body appear here."));
    QFont mono(QStringLiteral("DejaVu Sans Mono"));
    mono.setStyleHint(QFont::Monospace);
    mono.setPointSizeF(font().pointSizeF() * 0.9);
    m_response->setFont(mono);

    auto* line = new QHBoxLayout;
    line->addWidget(m_method);
    line->addWidget(m_path, 1);
    line->addWidget(m_send);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(line);
    layout->addWidget(m_headers);
    layout->addWidget(m_body);
    layout->addWidget(m_result);
    layout->addWidget(m_attempts);
    layout->addWidget(m_response, 1);

    connect(m_send, &QPushButton::clicked, this, &ConsolePanel::send);
    connect(m_path, &QLineEdit::returnPressed, this, &ConsolePanel::send);
    connect(m_client, &ConsoleClient::finished, this, &ConsolePanel::show);
    connect(m_lab, &Lab::labReset, this, &ConsolePanel::updateTarget);
    connect(m_lab, &Lab::proxyStateChanged, this, &ConsolePanel::updateTarget);
    updateTarget();
}

void ConsolePanel::updateTarget()
{
    const bool http = m_lab->hasHttpListener();
    m_send->setEnabled(http && !m_busy);
    if (!http)
        m_result->setText(noHttpListenerText());
    else if (m_result->text() == noHttpListenerText())
        m_result->clear();
}

void ConsolePanel::send()
{
    if (!m_lab->hasHttpListener()) {
        m_result->setText(noHttpListenerText());
        return;
    }
    Proxy* p = m_lab->httpProxy();
    if (!p || !p->isListening()) {
        m_result->setText(tr("<b>The proxy is not running</b>: start it first."));
        return;
    }
    ConsoleRequest r;
    r.address = p->settings().address;
    if (r.address == QHostAddress::Any || r.address == QHostAddress::AnyIPv4)
        r.address = QHostAddress::LocalHost;
    r.port = p->port();
    r.method = m_method->currentText().trimmed().toLatin1();
    r.path = m_path->text().trimmed().toUtf8();
    if (r.method.isEmpty() || r.method.contains(' ') || !r.path.startsWith('/') || r.path.contains(' ')) {
        m_result->setText(tr("<b>Not sent</b>: the method is one word and the path starts with / and has no spaces."));
        return;
    }
    QString error;
    if (!ConsoleRequest::parseHeaders(m_headers->toPlainText(), &r.headers, &error)) {
        m_result->setText(tr("<b>Not sent</b>: %1").arg(error.toHtmlEscaped()));
        return;
    }
    r.body = m_body->toPlainText().toUtf8();
    m_busy = true;
    m_send->setEnabled(false);
    m_result->setText(
        tr("sending %1 %2 to the HTTP listener %3:%4 …")
            .arg(QString::fromLatin1(r.method), QString::fromUtf8(r.path).toHtmlEscaped(), r.address.toString())
            .arg(r.port));
    m_attempts->clear();
    m_client->send(r);
}

void ConsolePanel::show(const ConsoleResponse& r)
{
    m_busy = false;
    updateTarget();
    if (!r.error.isEmpty()) {
        m_result->setText(tr("<b>No response</b>: %1").arg(r.error.toHtmlEscaped()));
        m_response->clear();
    } else {
        m_result->setText(tr("<b>%1 %2</b> · served by <b>%3</b> · %4 ms · %5 body bytes")
                              .arg(r.status)
                              .arg(QString::fromLatin1(r.reason).toHtmlEscaped(),
                                   r.servedBy.isEmpty() ? tr("the proxy itself") : r.servedBy.toHtmlEscaped())
                              .arg(r.elapsedMs, 0, 'f', 2)
                              .arg(r.bodyBytes));
        QString text = QStringLiteral("HTTP/1.1 %1 %2\n").arg(r.status).arg(QString::fromLatin1(r.reason));
        for (const http::HttpHeader& h : r.headers)
            text += QString::fromLatin1(h.name) + QStringLiteral(": ") + QString::fromUtf8(h.value) + QLatin1Char('\n');
        text += QLatin1Char('\n') + QString::fromUtf8(r.body);
        if (r.bodyBytes > r.body.size())
            text += tr("\n… (%1 more bytes not shown)").arg(r.bodyBytes - r.body.size());
        m_response->setPlainText(text);
    }
    lookUpTrace(r.token, 10);
}

void ConsolePanel::lookUpTrace(const QString& token, int triesLeft)
{
    Proxy* p = m_lab->httpProxy();
    const std::optional<TraceEntry> e = p ? p->trace().findToken(token) : std::nullopt;
    if (e) {
        m_attempts->setText(
            tr("Attempts: %1")
                .arg(e->attempts.isEmpty() ? tr("none (answered by the proxy)") : e->attempts.toHtmlEscaped()) +
            (e->why.isEmpty() ? QString() : tr("<br>Why: %1").arg(e->why.toHtmlEscaped())));
        Q_EMIT answered();
        return;
    }
    if (triesLeft > 0) {
        QTimer::singleShot(30, this, [this, token, triesLeft] { lookUpTrace(token, triesLeft - 1); });
        return;
    }
    m_attempts->setText(tr("Attempts: not in the proxy's trace (the request did not reach the proxy)."));
    Q_EMIT answered();
}

} // namespace lab
