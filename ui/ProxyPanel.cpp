#include "ProxyPanel.h"

#include "PanelFields.h"
#include "balancing/Registry.h"
#include "lab/Lab.h"
#include "proxy/Proxy.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QToolButton>

namespace lab {

ProxyPanel::ProxyPanel(Lab* lab, QWidget* parent)
    : QWidget(parent)
    , m_lab(lab)
    , m_address(new QLineEdit)
    , m_port(makeSpinBox(&ListenerConfig::port, QString(),
                         tr("The proxy's port; clients connect here (0 = any free port).")))
    , m_startStop(new QPushButton)
    , m_algorithm(new QComboBox)
    , m_hashKey(new QLineEdit)
    , m_sticky(makeCheckBox(
          tr("Sticky"),
          tr("Sticky sessions: the first response sets a cookie naming the backend; later requests with it "
             "go there while it is eligible.")))
    , m_retries(makeSpinBox(&RetryConfig::retries, QString(),
                            tr("How many other backends a failed request may be retried on.")))
    , m_connectTimeout(makeSpinBox(&TimeoutsConfig::connectMs, tr(" ms"),
                                   tr("How long the proxy waits for a backend to accept a connection.")))
    , m_responseTimeout(makeSpinBox(&TimeoutsConfig::upstreamResponseMs, tr(" ms"),
                                    tr("How long the proxy waits for a backend's response before answering 504.")))
    , m_apply(new QPushButton(tr("Apply")))
{
    m_address->setToolTip(tr("The IP address the proxy listens on (127.0.0.1: this machine only)."));
    m_address->setMaximumWidth(100);
    m_address->setObjectName(QStringLiteral("listenerAddress"));
    m_address->setPlaceholderText(tr("no HTTP")); // the field is narrow; the tooltip and status bar say more
    m_port->setObjectName(QStringLiteral("listenerPort"));
    m_startStop->setObjectName(QStringLiteral("proxyStartStop"));
    m_startStop->setToolTip(tr("Start or stop every listener of the lab, HTTP and TCP alike."));
    m_apply->setToolTip(tr("Apply the listener, retries and timeouts to the running proxy (a new port re-listens)."));
    m_algorithm->setObjectName(QStringLiteral("algorithm"));
    m_algorithm->setMaximumWidth(180);
    // Its width does not follow the longest name, so the bar fits a 1366 px screen whatever is selected.
    m_algorithm->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_algorithm->setMinimumContentsLength(12);
    m_hashKey->setObjectName(QStringLiteral("hashKey"));
    m_hashKey->setMaximumWidth(90);
    m_hashKey->setPlaceholderText(tr("hash key"));
    m_sticky->setObjectName(QStringLiteral("sticky"));
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
    menu->setToolTipsVisible(true);
    m_retryButton->setMenu(menu);
    m_address->setMinimumWidth(90);
    m_hashKey->setMinimumWidth(80);
    m_connectTimeout->setMaximumWidth(90);
    m_responseTimeout->setMaximumWidth(100);
    m_retryButton->setMaximumWidth(105);
    m_port->setMaximumWidth(70);

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->setSpacing(4); // eighteen widgets on one line must fit a 1366 px screen
    auto label = [](const QString& text, QWidget* buddy) {
        auto* l = new QLabel(text);
        l->setBuddy(buddy);
        return l;
    };
    // The bar edits the first HTTP listener; Start/Stop acts on every listener (its tooltip says so).
    layout->addWidget(label(tr("HTTP l&istener"), m_address));
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
    const bool stopping = m_lab->proxiesStopping();
    m_startStop->setText(stopping ? tr("Stopping…") : running ? tr("Stop proxy") : tr("Start proxy"));
    m_startStop->setToolTip(stopping      ? tr("No longer accepting; requests in flight are finishing (up to 2 s).")
                                : running ? tr("Stop accepting; requests in flight get 2 s to finish.")
                                          : tr("Start listening for clients."));
    m_startStop->setEnabled(!c.listeners.isEmpty() && !stopping);
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
        m_lab->stopProxies(2000); // returns at once; the button reads "Stopping…" until they are done
    } else {
        QString error;
        if (!m_lab->startProxies(&error))
            Q_EMIT message(error);
    }
    reload();
}

} // namespace lab
