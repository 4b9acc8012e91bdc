#include "ProxyPanel.h"

#include "FlowLayout.h"
#include "PanelFields.h"
#include "PassiveHealthButton.h"
#include "balancing/Registry.h"
#include "lab/Lab.h"
#include "proxy/Proxy.h"

#include <QAction>
#include <QActionGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStackedWidget>
#include <QToolButton>
#include <QVBoxLayout>
#include <cmath>

namespace lab {

ProxyPanel::ProxyPanel(Lab* lab, QWidget* parent)
    : QWidget(parent)
    , m_lab(lab)
    , m_address(new QLineEdit)
    , m_port(makeSpinBox(&ListenerConfig::port, QString(),
                         tr("The proxy's port; clients connect here (0 = any free port).")))
    , m_startStop(new QPushButton)
    , m_https(new QPushButton)
    , m_algorithm(new QComboBox)
    , m_hashKey(new QLineEdit)
    , m_sticky(makeCheckBox(
          tr("Sticky"),
          tr("Sticky sessions: the first response sets a cookie naming the backend; later requests with it "
             "go there while it is eligible.")))
    , m_retries(makeSpinBox(&RetryConfig::retries, QString(),
                            tr("How many other backends a failed request may be retried on.")))
    , m_rateRps(makeSpinBox(int(schema::rangeOf(&RateLimitConfig::requestsPerSecond).min),
                            int(schema::rangeOf(&RateLimitConfig::requestsPerSecond).max), 0, tr("/s"),
                            tr("Requests a second each client (or header value) may send on average; over it the "
                               "proxy answers 429 with Retry-After and no backend sees the request. 0 = off.")))
    , m_rateBurst(makeSpinBox(&RateLimitConfig::burst, QString(),
                              tr("Requests a client may send at once before the rate applies (0 = one second's "
                                 "worth).")))
    , m_rateKey(new QLineEdit)
    , m_passive(new PassiveHealthButton)
    , m_connectTimeout(makeSpinBox(&TimeoutsConfig::connectMs, tr(" ms"),
                                   tr("How long the proxy waits for a backend to accept a connection.")))
    , m_responseTimeout(makeSpinBox(&TimeoutsConfig::upstreamResponseMs, tr(" ms"),
                                    tr("How long the proxy waits for a backend's response before answering 504.")))
    , m_apply(new QPushButton(tr("Apply")))
    , m_summary(new QLabel)
    , m_summaryLine(new QStackedWidget)
{
    m_address->setToolTip(tr("The IP address the proxy listens on (127.0.0.1: this machine only)."));
    m_address->setObjectName(QStringLiteral("listenerAddress"));
    m_address->setPlaceholderText(tr("no HTTP")); // the field is narrow; the tooltip and status bar say more
    m_port->setObjectName(QStringLiteral("listenerPort"));
    m_startStop->setObjectName(QStringLiteral("proxyStartStop"));
    m_startStop->setToolTip(tr("Start or stop every listener of the lab, HTTP and TCP alike."));
    m_https->setObjectName(QStringLiteral("serveHttps"));
    m_apply->setObjectName(QStringLiteral("applyProxyOptions"));
    m_algorithm->setObjectName(QStringLiteral("algorithm"));
    // As wide as the longest name, so none is cut off; the bar wraps instead when the window is narrow.
    m_algorithm->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_hashKey->setObjectName(QStringLiteral("hashKey"));
    m_hashKey->setPlaceholderText(tr("hash key"));
    m_sticky->setObjectName(QStringLiteral("sticky"));
    m_rateRps->setObjectName(QStringLiteral("rateLimitRps"));
    m_rateRps->setSpecialValueText(tr("off"));
    m_rateKey->setObjectName(QStringLiteral("rateLimitKey"));
    m_rateKey->setPlaceholderText(QStringLiteral("client"));
    m_rateKey->setToolTip(
        tr("Rate limit per: client (the address) or header:NAME (the header's value); Apply sends it."));
    m_algorithm->setToolTip(tr("How the proxy picks a backend for each request; switching is live."));
    for (const AlgorithmInfo& a : algorithmRegistry()) {
        m_algorithm->addItem(a.name, QString(a.name));
        m_algorithm->setItemData(m_algorithm->count() - 1, QString(a.summary), Qt::ToolTipRole);
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
    // retry.avoid: one of three, in the same menu (the rule belongs to the retries it governs).
    menu->addSection(tr("A retry avoids"));
    auto* avoidGroup = new QActionGroup(menu);
    for (const QString& rule : retryAvoidRules()) {
        QAction* a = menu->addAction(rule == QLatin1String("tried")          ? tr("every backend tried (nginx)")
                                         : rule == QLatin1String("previous") ? tr("the previous backend (HAProxy)")
                                                                             : tr("nothing (free pick)"));
        a->setCheckable(true);
        a->setActionGroup(avoidGroup);
        a->setToolTip(rule == QLatin1String("tried") ? tr("A retry never goes to a backend this request already tried.")
                          : rule == QLatin1String("previous")
                          ? tr("A retry avoids only the backend the last attempt failed on; a third try may "
                               "return to the first one.")
                          : tr("A retry asks the balancer again; it may pick the backend that just failed."));
        a->setProperty("avoid", rule);
        connect(a, &QAction::toggled, this, &ProxyPanel::updateRetryButton);
        m_retryAvoid << a;
    }
    menu->setToolTipsVisible(true);
    m_retryButton->setMenu(menu);

    // Five groups that flow onto more lines when the window is narrow (1024 px: two lines), each kept
    // whole so a label never ends up on another line than its field; the algorithm's summary below.
    auto label = [](const QString& text, QWidget* buddy) {
        auto* l = new QLabel(text);
        l->setBuddy(buddy);
        return l;
    };
    auto group = [](std::initializer_list<QWidget*> widgets) {
        auto* g = new QWidget;
        auto* row = new QHBoxLayout(g);
        row->setContentsMargins(0, 0, 0, 0);
        row->setSpacing(4);
        for (QWidget* w : widgets)
            row->addWidget(w);
        return g;
    };
    auto* flow = new FlowLayout(nullptr, 12, 2);
    // The bar edits the first HTTP listener; Start/Stop acts on every listener (its tooltip says so).
    flow->addWidget(group({label(tr("HTTP l&istener"), m_address), m_address, new QLabel(QStringLiteral(":")), m_port,
                           m_startStop, m_https}));
    // The key fields say what they are: greyed, a bare "client" read as a second client field (trial 3).
    auto* hashKeyLabel = label(tr("hash key"), m_hashKey);
    hashKeyLabel->setObjectName(QStringLiteral("hashKeyLabel"));
    hashKeyLabel->setToolTip(tr("What a hashing algorithm hashes: client (the address), path, header:NAME or "
                                "cookie:NAME. Used by ip-hash, ring-hash and maglev only."));
    flow->addWidget(group({label(tr("Al&gorithm"), m_algorithm), m_algorithm, hashKeyLabel, m_hashKey, m_sticky}));
    auto* rateKeyLabel = label(tr("per"), m_rateKey);
    rateKeyLabel->setObjectName(QStringLiteral("rateLimitKeyLabel"));
    rateKeyLabel->setToolTip(m_rateKey->toolTip());
    flow->addWidget(group({label(tr("&Retries"), m_retries), m_retries, new QLabel(tr("on")), m_retryButton}));
    flow->addWidget(group({label(tr("R&ate limit"), m_rateRps), m_rateRps, new QLabel(tr("burst")), m_rateBurst,
                           rateKeyLabel, m_rateKey}));
    flow->addWidget(group({label(tr("Passive"), m_passive), m_passive}));
    flow->addWidget(group({label(tr("&Connect"), m_connectTimeout), m_connectTimeout,
                           label(tr("Res&ponse"), m_responseTimeout), m_responseTimeout, m_apply}));
    m_summary->setObjectName(QStringLiteral("algorithmSummary"));
    m_summary->setWordWrap(true);
    m_summary->setToolTip(tr("What the selected algorithm does."));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->setSpacing(1);
    layout->addLayout(flow);
    m_summaryLine->addWidget(m_summary);
    // Never squeezed by a window short of height: a line that shrank when the notice showed moved the views.
    m_summaryLine->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    layout->addWidget(m_summaryLine);

    connect(m_algorithm, &QComboBox::activated, this, [this] {
        QString error;
        if (!m_lab->setAlgorithm(m_algorithm->currentData().toString(), &error))
            Q_EMIT message(error);
    });
    connect(m_apply, &QPushButton::clicked, this, &ProxyPanel::applyOptions);
    // Apply lights up (and says so) only while a field differs from what runs.
    connect(m_address, &QLineEdit::textChanged, this, &ProxyPanel::updatePending);
    connect(m_rateKey, &QLineEdit::textChanged, this, &ProxyPanel::updatePending);
    // On each digit typed too: a spin box without keyboard tracking signals nothing until Enter, its line
    // edit does (and only then: setValue() changes the text with the edit's signals blocked).
    for (QSpinBox* s : {m_port, m_retries, m_rateRps, m_rateBurst, m_connectTimeout, m_responseTimeout}) {
        connect(s, &QSpinBox::valueChanged, this, &ProxyPanel::updatePending);
        connect(s->findChild<QLineEdit*>(), &QLineEdit::textEdited, this, &ProxyPanel::updatePending);
    }
    for (QAction* a : std::as_const(m_retryOn))
        connect(a, &QAction::toggled, this, &ProxyPanel::updatePending);
    for (QAction* a : std::as_const(m_retryAvoid))
        connect(a, &QAction::toggled, this, &ProxyPanel::updatePending);
    connect(m_passive, &PassiveHealthButton::edited, this, &ProxyPanel::updatePending);
    connect(m_algorithm, &QComboBox::currentIndexChanged, this, &ProxyPanel::updateSummary);
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
    connect(m_https, &QPushButton::clicked, this, &ProxyPanel::httpsRequested);
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
    const bool stopping = m_lab->proxiesStopping();
    m_startStop->setText(stopping ? tr("Stopping…") : running ? tr("Stop proxy") : tr("Start proxy"));
    m_startStop->setToolTip(stopping      ? tr("No longer accepting; requests in flight are finishing (up to 2 s).")
                                : running ? tr("Stop accepting; requests in flight get 2 s to finish.")
                                          : tr("Start listening for clients."));
    m_startStop->setEnabled(!c.listeners.isEmpty() && !stopping);
    const Proxy* tls = nullptr;
    for (const auto& proxy : m_lab->proxies())
        if (!tls && proxy->settings().tls && proxy->isListening())
            tls = proxy.get();
    m_https->setText(tls ? tr("HTTPS :%1").arg(tls->port()) : tr("HTTPS…"));
    m_https->setToolTip(tls ? tr("The lab serves HTTPS on port %1 too. Click for the curl command that trusts its "
                                 "certificate, or to stop HTTPS.")
                                  .arg(tls->port())
                            : tr("Serve HTTPS too: makes a self-signed certificate for localhost and adds an HTTPS "
                                 "listener beside the HTTP one (port 8443, else a free one), live. The message gives "
                                 "the curl command to try it."));
    m_algorithm->setCurrentIndex(m_algorithm->findData(c.algorithm));
    m_hashKey->setText(c.hashKey);
    // Only the algorithms that hash a key read it; for the others the field says so instead of pretending.
    const QString users = hashKeyAlgorithmNames().join(tr(" and "));
    const bool keyed = algorithmUsesHashKey(c.algorithm);
    m_hashKey->setEnabled(keyed);
    m_hashKey->setToolTip(
        keyed ? tr("What %1 hash: client, path, header:NAME or cookie:NAME. Enter applies it.").arg(users)
              : tr("%1 does not hash a key; this field is read by %2 only.").arg(c.algorithm, users));
    {
        const QSignalBlocker block(m_sticky);
        m_sticky->setChecked(c.sticky.enabled);
    }
    m_retries->setValue(c.retry.retries);
    for (QAction* a : std::as_const(m_retryOn))
        a->setChecked(c.retry.retryOn.contains(a->property("condition").toString()));
    for (QAction* a : std::as_const(m_retryAvoid))
        a->setChecked(a->property("avoid").toString() == c.retry.avoid);
    updateRetryButton();
    m_rateRps->setValue(int(std::ceil(c.rateLimit.requestsPerSecond)));
    m_rateBurst->setValue(c.rateLimit.burst);
    m_rateKey->setText(c.rateLimit.key);
    m_connectTimeout->setValue(c.timeouts.connectMs);
    m_responseTimeout->setValue(c.timeouts.upstreamResponseMs);
    m_passive->setValues(c.outlier, c.breaker);
    updatePending();
    updateSummary();
}

namespace {
// What a spin box shows, typed but not yet entered (its value() waits for Enter or focus out).
int shownValue(const QSpinBox* s)
{
    bool ok = false;
    const int v = s->cleanText().toInt(&ok);
    return ok ? v : s->value();
}
} // namespace

RateLimitConfig ProxyPanel::shownRateLimit() const
{
    RateLimitConfig r = m_lab->config().rateLimit;
    // A config's fractional rate (0.5/s) shows rounded up; it is not an edit until the box changes.
    if (shownValue(m_rateRps) != int(std::ceil(r.requestsPerSecond)))
        r.requestsPerSecond = shownValue(m_rateRps);
    r.burst = shownValue(m_rateBurst);
    r.key = m_rateKey->text().trimmed().isEmpty() ? QStringLiteral("client") : m_rateKey->text().trimmed();
    return r;
}

QString ProxyPanel::shownRetryAvoid() const
{
    for (QAction* a : std::as_const(m_retryAvoid)) {
        if (a->isChecked())
            return a->property("avoid").toString();
    }
    return m_lab->config().retry.avoid;
}

bool ProxyPanel::hasPendingChanges() const
{
    const LabConfig& c = m_lab->config();
    QStringList retryOn;
    for (QAction* a : std::as_const(m_retryOn)) {
        if (a->isChecked())
            retryOn << a->property("condition").toString();
    }
    QStringList running = c.retry.retryOn;
    retryOn.sort();
    running.sort();
    if (shownValue(m_retries) != c.retry.retries || retryOn != running || shownRetryAvoid() != c.retry.avoid ||
        shownValue(m_connectTimeout) != c.timeouts.connectMs ||
        shownValue(m_responseTimeout) != c.timeouts.upstreamResponseMs || shownRateLimit() != c.rateLimit ||
        m_passive->outlier() != c.outlier || m_passive->breaker() != c.breaker)
        return true;
    for (const ListenerConfig& l : c.listeners) {
        if (l.kind != ListenerKind::Http)
            continue;
        // The field shows the port a port-0 listener got; that is not an edit.
        const Proxy* p = m_lab->httpProxy();
        const int shown = p && p->isListening() ? p->port() : l.port;
        const int port = shownValue(m_port);
        return m_address->text().trimmed() != l.address || (port != shown && port != l.port);
    }
    return false;
}

void ProxyPanel::setNotice(QWidget* notice)
{
    // A stack's height is its tallest page's whichever is shown, hidden pages included.
    m_summaryLine->addWidget(notice);
    m_summaryLine->setCurrentWidget(m_summary);
}

void ProxyPanel::showNotice(bool shown)
{
    if (m_summaryLine->count() > 1)
        m_summaryLine->setCurrentIndex(shown ? 1 : 0);
}

void ProxyPanel::updatePending()
{
    const bool pending = hasPendingChanges();
    m_apply->setEnabled(pending);
    m_apply->setText(pending ? tr("● Apply") : tr("Apply"));
    m_apply->setToolTip(pending ? tr("Changed here, not yet running: Apply sends the listener, retries, rate limit, "
                                     "timeouts and passive health to the proxy (a new port re-listens).")
                                : tr("The listener, retries, rate limit and timeouts shown are the running ones; "
                                     "change one and Apply lights up."));
}

void ProxyPanel::updateSummary()
{
    const QString name = m_algorithm->currentData().toString();
    m_summary->setText(name.isEmpty() ? QString() : QStringLiteral("%1: %2").arg(name, algorithmSummary(name)));
}

void ProxyPanel::updateRetryButton()
{
    QStringList on;
    for (QAction* a : std::as_const(m_retryOn)) {
        if (a->isChecked())
            on << a->text().section(QLatin1Char('-'), 0, 0); // "connect-failure" -> "connect"
    }
    QString text = on.isEmpty() ? tr("nothing") : on.join(QStringLiteral(", "));
    // The rule always shows, the default too: lesson 5 switches from "previous" to "tried", and a rule that
    // vanished from the bar when it became the default read as "no rule" (trial 9).
    for (QAction* a : std::as_const(m_retryAvoid)) {
        if (a->isChecked())
            text += tr(" · avoid %1").arg(a->property("avoid").toString());
    }
    m_retryButton->setText(text);
    fitFields();
}

void ProxyPanel::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange) // the window's zoom
        fitFields();
}

void ProxyPanel::fitFields()
{
    // Widths in characters of the current font, so the fields hold their longest text at any zoom.
    const QFontMetrics fm(font());
    const int frame = 2 * fm.averageCharWidth() + 8;
    m_address->setFixedWidth(fm.horizontalAdvance(QStringLiteral("255.255.255.255")) + frame);
    m_hashKey->setFixedWidth(fm.horizontalAdvance(QStringLiteral("header:X-User")) + frame);
    m_rateKey->setFixedWidth(fm.horizontalAdvance(QStringLiteral("header:X-Api-Key")) + frame);
    // Wide enough for the rates a lab uses (up to 9999/s; more still fits, scrolled), so the group
    // stays narrow (a box sized for the schema's 1000000 is twice as wide).
    const int arrows = fm.height();
    m_rateRps->setFixedWidth(fm.horizontalAdvance(QStringLiteral("9999/s")) + frame + arrows);
    m_rateBurst->setFixedWidth(fm.horizontalAdvance(QStringLiteral("9999")) + frame + arrows);
    // The menu arrow is drawn over the end of the text unless the button is a little wider than its hint.
    m_retryButton->setMinimumWidth(0);
    m_retryButton->setMinimumWidth(m_retryButton->sizeHint().width() + fm.height() + fm.averageCharWidth());
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
    retry.avoid = shownRetryAvoid();
    TimeoutsConfig timeouts = m_lab->config().timeouts;
    timeouts.connectMs = m_connectTimeout->value();
    timeouts.upstreamResponseMs = m_responseTimeout->value();
    ListenerConfig listener;
    listener.address = m_address->text().trimmed();
    listener.port = m_port->value();
    // Read before setProxyOptions: its change reloads the fields from the running config.
    const RateLimitConfig rate = shownRateLimit();
    const OutlierConfig outlier = m_passive->outlier();
    const BreakerConfig breaker = m_passive->breaker();
    QString error;
    if (!m_lab->setProxyOptions(retry, timeouts, listener, &error))
        Q_EMIT message(error);
    if (rate != m_lab->config().rateLimit) {
        if (!m_lab->setRateLimit(rate, &error))
            Q_EMIT message(error);
    }
    if (!m_lab->setPassiveHealth(outlier, breaker, &error))
        Q_EMIT message(error);
    reload();
}

void ProxyPanel::toggleProxy()
{
    if (m_lab->proxiesRunning()) {
        m_lab->stopProxies(2000); // returns at once; the button reads "Stopping…" until they are done
    } else {
        QString error;
        if (!m_lab->startProxies(&error))
            Q_EMIT message(error);
    }
    reload();
}

} // namespace lab
